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
/// a small bounded buffer.
final class CurlUpstreamResponse: UpstreamResponse, HTTPResponseStream, @unchecked Sendable {
    // @unchecked: every mutable field is inside `state`; `engine` and `transfer` are set once.
    private struct State {
        var head: UpstreamHead?
        var chunks: [[UInt8]] = []
        var nextChunk = 0
        var buffered = 0
        var paused = false
        var ended = false
        var failure: UpstreamFailure?
        var headWaiter: CheckedContinuation<Result<UpstreamHead, UpstreamFailure>, Never>?
        var chunkWaiter: CheckedContinuation<[UInt8]?, Never>?
        var transfer: CurlTransfer?
        var canceled = false
    }

    static let maxBufferedBytes = 64 << 10
    private let state = Mutex(State())
    private let engine: CurlEngine

    init(engine: CurlEngine) { self.engine = engine }

    /// Holds the transfer for `cancel` and `resume` while it runs. The transfer holds this
    /// response (its `responseStream`), so the reference is dropped when the transfer ends:
    /// kept, the two would keep each other alive after every gateway request.
    func attach(_ transfer: CurlTransfer) {
        let canceled = state.withLock { state -> Bool in
            guard !state.ended else { return false }
            state.transfer = transfer
            return state.canceled
        }
        if canceled { engine.cancel(transfer) }
    }

    // MARK: engine thread

    func head(status: Int, headers: [String: String], elapsedSeconds: Double) {
        let head = UpstreamHead(status: status, headers: headers, elapsedSeconds: elapsedSeconds)
        let waiter = state.withLock { state in
            state.head = head
            defer { state.headWaiter = nil }
            return state.headWaiter
        }
        waiter?.resume(returning: .success(head))
    }

    func offer(_ chunk: UnsafeBufferPointer<UInt8>) -> Bool {
        let (accepted, waiter) = state.withLock { state -> (Bool, CheckedContinuation<[UInt8]?, Never>?) in
            if let waiter = state.chunkWaiter {
                state.chunkWaiter = nil
                return (true, waiter)
            }
            guard state.buffered < Self.maxBufferedBytes else {
                state.paused = true
                return (false, nil)
            }
            state.chunks.append(Array(chunk))
            state.buffered += chunk.count
            return (true, nil)
        }
        waiter?.resume(returning: Array(chunk))
        return accepted
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
        let head = UpstreamHead(status: result.status, headers: result.headers, elapsedSeconds: result.timings.total)
        let (headWaiter, headAnswer, chunkWaiter) = state.withLock { state in
            state.ended = true
            state.transfer = nil  // breaks the cycle with the transfer's `responseStream`
            state.failure = failure
            var answer: Result<UpstreamHead, UpstreamFailure>?
            if state.head == nil {
                // No body came: the head is what the transfer got, or its failure.
                if result.status > 0, failure == nil || failure == .canceled {
                    state.head = head
                    answer = .success(head)
                } else {
                    answer = .failure(failure ?? .other("no response"))
                }
            }
            let waiters = (state.headWaiter, answer, state.chunkWaiter)
            state.headWaiter = nil
            state.chunkWaiter = nil
            return waiters
        }
        if let headWaiter, let headAnswer { headWaiter.resume(returning: headAnswer) }
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
                let (ready, resume) = state.withLock { state -> ([UInt8]??, CurlTransfer?) in
                    if state.nextChunk < state.chunks.count {
                        let chunk = state.chunks[state.nextChunk]
                        state.nextChunk += 1
                        state.buffered -= chunk.count
                        if state.nextChunk == state.chunks.count {
                            state.chunks.removeAll(keepingCapacity: true)
                            state.nextChunk = 0
                        }
                        var resume: CurlTransfer?
                        if state.paused, state.buffered < Self.maxBufferedBytes / 2 {
                            state.paused = false
                            resume = state.transfer
                        }
                        return (.some(chunk), resume)
                    }
                    if state.ended { return (.some(nil), nil) }
                    state.chunkWaiter = continuation
                    return (nil, nil)
                }
                if let resume { engine.resume(resume) }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            cancel()
        }
    }

    var failure: UpstreamFailure? { state.withLock { $0.ended ? $0.failure : nil } }

    func cancel() {
        let transfer = state.withLock { state -> CurlTransfer? in
            state.canceled = true
            return state.ended ? nil : state.transfer
        }
        if let transfer { engine.cancel(transfer) }
    }
}
