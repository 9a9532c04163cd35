import NIOCore
import Synchronization
import SwitchyardCore

/// One upstream answer of `NIOUpstream`: the head and body chunks its connection reads on the
/// event loop, handed to the reader through a bounded buffer. Past `maxBufferedBytes` the
/// connection stops reading from the socket (backpressure) until the reader has taken half.
final class NIOUpstreamResponse: UpstreamResponse, @unchecked Sendable {
    // @unchecked: every mutable field is inside `state`; `loop` is set once.
    private struct State {
        var head: UpstreamHead?
        var chunks: [[UInt8]] = []
        var nextChunk = 0
        var buffered = 0
        var paused = false
        var ended = false
        var canceled = false
        var failure: UpstreamFailure?
        var headWaiter: CheckedContinuation<Result<UpstreamHead, UpstreamFailure>, Never>?
        var chunkWaiter: CheckedContinuation<[UInt8]?, Never>?
        /// The exchange moving this answer, until it ends (it holds this response: the
        /// reference is dropped at the end so neither outlives the transfer).
        var exchange: Exchange?
    }

    static let maxBufferedBytes = 64 << 10
    private let state = Mutex(State())
    let loop: any EventLoop

    init(loop: any EventLoop) { self.loop = loop }

    // MARK: event loop

    func attach(_ exchange: Exchange) {
        state.withLock { state in
            if !state.ended { state.exchange = exchange }
        }
    }

    /// True once the reader canceled: the exchange does not start.
    var isCanceled: Bool { state.withLock { $0.canceled } }

    /// True while the buffer is full: the connection holds its reads.
    var isPaused: Bool { state.withLock { $0.paused } }

    /// Bytes read from the socket and not yet taken by the reader.
    var bufferedBytes: Int { state.withLock { $0.buffered } }

    func deliver(head: UpstreamHead) {
        let waiter = state.withLock { state in
            state.head = head
            defer { state.headWaiter = nil }
            return state.headWaiter
        }
        waiter?.resume(returning: .success(head))
    }

    /// Hands a body chunk to the reader (or buffers it, pausing at the bound).
    func deliver(chunk: [UInt8]) {
        let waiter = state.withLock { state -> CheckedContinuation<[UInt8]?, Never>? in
            if let waiter = state.chunkWaiter {
                state.chunkWaiter = nil
                return waiter
            }
            state.chunks.append(chunk)
            state.buffered += chunk.count
            if state.buffered >= Self.maxBufferedBytes { state.paused = true }
            return nil
        }
        waiter?.resume(returning: chunk)
    }

    /// The answer ended: nil for a complete body, else why not. Only the first call counts.
    func finish(_ failure: UpstreamFailure?) {
        let waiters = state.withLock { state -> (CheckedContinuation<Result<UpstreamHead, UpstreamFailure>, Never>?, CheckedContinuation<[UInt8]?, Never>?)? in
            guard !state.ended else { return nil }
            state.ended = true
            state.exchange = nil
            state.failure = failure
            defer { (state.headWaiter, state.chunkWaiter) = (nil, nil) }
            return (state.headWaiter, state.chunkWaiter)
        }
        guard let (headWaiter, chunkWaiter) = waiters else { return }
        headWaiter?.resume(returning: .failure(failure ?? .other("no response")))
        chunkWaiter?.resume(returning: nil)
    }

    // MARK: reader

    func head() async -> Result<UpstreamHead, UpstreamFailure> {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Result<UpstreamHead, UpstreamFailure>? in
                if let head = state.head { return .success(head) }
                if state.ended { return .failure(state.failure ?? .other("no response")) }
                state.headWaiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    func next() async -> [UInt8]? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let (ready, resume) = state.withLock { state -> ([UInt8]??, Exchange?) in
                    if state.nextChunk < state.chunks.count {
                        let chunk = state.chunks[state.nextChunk]
                        state.nextChunk += 1
                        state.buffered -= chunk.count
                        if state.nextChunk == state.chunks.count {
                            state.chunks.removeAll(keepingCapacity: true)
                            state.nextChunk = 0
                        }
                        var resume: Exchange?
                        if state.paused, state.buffered < Self.maxBufferedBytes / 2 {
                            state.paused = false
                            resume = state.exchange
                        }
                        return (.some(chunk), resume)
                    }
                    if state.ended { return (.some(nil), nil) }
                    state.chunkWaiter = continuation
                    return (nil, nil)
                }
                if let resume { loop.execute { resume.resumeReading() } }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            cancel()
        }
    }

    var failure: UpstreamFailure? { state.withLock { $0.ended ? $0.failure : nil } }

    func cancel() {
        let exchange = state.withLock { state -> Exchange? in
            state.canceled = true
            return state.ended ? nil : state.exchange
        }
        if let exchange { loop.execute { exchange.cancel() } }
    }
}
