import NIOCore
import SwitchyardCore

/// One upstream answer of `NIOUpstream`: the head and body chunks its connection reads on the
/// event loop, handed to the reader through a bounded buffer. Past `maxBufferedBytes` the
/// connection stops reading from the socket (backpressure) until the reader has taken half.
final class NIOUpstreamResponse: UpstreamResponse {
    private let buffer: UpstreamAnswerBuffer<Exchange>
    let loop: any EventLoop

    static var maxBufferedBytes: Int { 64 << 10 }

    init(loop: any EventLoop) {
        self.loop = loop
        buffer = UpstreamAnswerBuffer(maxBufferedBytes: Self.maxBufferedBytes,
                                      resume: { [loop] exchange in loop.execute { exchange.resumeReading() } },
                                      cancel: { [loop] exchange in loop.execute { exchange.cancel() } })
    }

    // MARK: event loop

    /// Holds the exchange while it runs (the pool checks `isCanceled` before starting it).
    func attach(_ exchange: Exchange) { _ = buffer.attach(exchange) }

    /// True once the reader canceled: the exchange does not start.
    var isCanceled: Bool { buffer.isCanceled }

    /// True while the buffer is full: the connection holds its reads.
    var isPaused: Bool { buffer.isPaused }

    /// Bytes read from the socket and not yet taken by the reader.
    var bufferedBytes: Int { buffer.bufferedBytes }

    func deliver(head: UpstreamHead) { buffer.deliver(head: head) }

    /// Hands a body chunk to the reader (or buffers it, pausing at the bound).
    func deliver(chunk: [UInt8]) { _ = buffer.offer(chunk, whenFull: .takeAndPause) }

    /// The answer ended: nil for a complete body, else why not. Only the first call counts.
    func finish(_ failure: UpstreamFailure?) { buffer.finish(failure) }

    // MARK: reader

    func head() async -> Result<UpstreamHead, UpstreamFailure> { await buffer.head() }

    func next() async -> [UInt8]? { await buffer.next() }

    var failure: UpstreamFailure? { buffer.failure }

    func cancel() { buffer.cancel() }
}
