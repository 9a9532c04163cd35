import Synchronization
import SwitchyardCore

/// The gateway's transport: one streaming libcurl transfer per attempt, on the daemon's engine
/// (its connection cache and pooled handles), with at most `maxBufferedBytes` waiting for the
/// reader before the transfer pauses.
extension CurlEngine: UpstreamTransport {
    public func send(_ request: UpstreamRequest) -> any UpstreamResponse {
        let response = CurlUpstreamResponse(engine: self)
        var http = HTTPRequest(url: request.url, method: .post, headers: request.headers, body: request.body,
                               connectTimeoutSeconds: min(request.connectTimeoutSeconds, request.totalTimeoutSeconds),
                               timeoutSeconds: request.totalTimeoutSeconds, idleTimeoutSeconds: request.idleTimeoutSeconds,
                               maxBodyBytes: Int.max)
        http.responseStream = response
        http.idleFromStart = true
        let transfer = start(http) { [response] result in response.finish(result) }
        response.attach(transfer)
        return response
    }

    /// The engine's own thread (`CurlEngine+Executor.swift`).
    public var executor: (any TaskExecutor)? { self }
}

/// One streamed upstream answer: chunks handed from the engine's thread to the reader through
/// a small bounded buffer (libcurl pauses the transfer while it is full).
final class CurlUpstreamResponse: UpstreamResponse, HTTPResponseStream {
    private let buffer: UpstreamAnswerBuffer<CurlTransfer>
    private let engine: CurlEngine

    init(engine: CurlEngine) {
        self.engine = engine
        buffer = UpstreamAnswerBuffer(resume: { [engine] in engine.resume($0) }, cancel: { [engine] in engine.cancel($0) })
    }

    /// Holds the transfer for `cancel` and `resume` while it runs. The transfer holds this
    /// response (its `responseStream`), so the buffer drops it when the transfer ends: kept,
    /// the two would keep each other alive after every gateway request.
    func attach(_ transfer: CurlTransfer) {
        if buffer.attach(transfer) { engine.cancel(transfer) }
    }

    // MARK: engine thread

    func head(status: Int, headers: [String: String], elapsedSeconds: Double) {
        buffer.deliver(head: UpstreamHead(status: status, headers: headers, elapsedSeconds: elapsedSeconds))
    }

    func offer(_ chunk: UnsafeBufferPointer<UInt8>) -> Bool {
        buffer.offer(Array(chunk), whenFull: .refuse)
    }

    /// The transfer ended (well, badly or canceled).
    func finish(_ result: HTTPTransferResult) {
        var failure: UpstreamFailure?
        switch result.failure {
        case nil: failure = nil
        case .canceled: failure = .canceled
        case .idle: failure = .timeout
        case .bodyTooLarge: failure = .tooLarge
        case .curl(let code, let message):
            // 28 timeout; 6/7 resolve/connect; 35/60 TLS.
            failure = code == 28 ? .timeout : [6, 7, 35, 60].contains(code) ? .connect(message) : .other(message)
        }
        // No body came: the head is what the transfer got, unless it failed before one.
        let bodiless = result.status > 0 && (failure == nil || failure == .canceled)
        buffer.finish(failure, headIfNone: bodiless ? UpstreamHead(status: result.status, headers: result.headers, elapsedSeconds: result.timings.total) : nil)
    }

    // MARK: reader

    func head() async -> Result<UpstreamHead, UpstreamFailure> { await buffer.head() }

    func next() async -> [UInt8]? { await buffer.next() }

    var failure: UpstreamFailure? { buffer.failure }

    func cancel() { buffer.cancel() }
}
