import Synchronization

/// The hand-over of one upstream answer from the thread that reads it (libcurl's, or an event
/// loop) to the gateway's reader: the head, then body chunks through a buffer bounded at
/// `maxBufferedBytes`. Past the bound the source holds its reads; once the reader has taken
/// half, `resume` is called with it. Both upstream transports keep their answers in one.
public final class UpstreamAnswerBuffer<Source: AnyObject & Sendable>: @unchecked Sendable {
    // @unchecked: every mutable field is inside `state`; the rest is set once.
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
        /// The source moving this answer, until it ends. It usually holds this buffer's owner,
        /// so the reference is dropped at the end: neither outlives the transfer.
        var source: Source?
    }

    /// What `offer` does with a chunk when the buffer is full.
    public enum WhenFull: Sendable {
        /// Refuse it: the source keeps it and offers it again after `resume` (libcurl's pause).
        case refuse
        /// Take it and mark the buffer paused: the source stops reading until `resume`.
        case takeAndPause
    }

    public let maxBufferedBytes: Int
    private let state = Mutex(State())
    private let resumeSource: @Sendable (Source) -> Void
    private let cancelSource: @Sendable (Source) -> Void

    public init(maxBufferedBytes: Int = 64 << 10, resume: @escaping @Sendable (Source) -> Void, cancel: @escaping @Sendable (Source) -> Void) {
        self.maxBufferedBytes = maxBufferedBytes
        resumeSource = resume
        cancelSource = cancel
    }

    // MARK: the source's side

    /// Holds the source for `cancel` and `resume` while the answer runs; true when the reader
    /// had already canceled (the caller decides whether to stop the source).
    public func attach(_ source: Source) -> Bool {
        state.withLock { state in
            guard !state.ended else { return false }
            state.source = source
            return state.canceled
        }
    }

    public var isCanceled: Bool { state.withLock { $0.canceled } }

    /// True while the buffer is full and the source should hold its reads.
    public var isPaused: Bool { state.withLock { $0.paused } }

    /// Bytes read and not yet taken by the reader.
    public var bufferedBytes: Int { state.withLock { $0.buffered } }

    public func deliver(head: UpstreamHead) {
        let waiter = state.withLock { state in
            state.head = head
            defer { state.headWaiter = nil }
            return state.headWaiter
        }
        waiter?.resume(returning: .success(head))
    }

    /// Hands a body chunk to a waiting reader or buffers it; false when it was refused (full).
    public func offer(_ chunk: [UInt8], whenFull: WhenFull) -> Bool {
        let (taken, waiter) = state.withLock { state -> (Bool, CheckedContinuation<[UInt8]?, Never>?) in
            if let waiter = state.chunkWaiter {
                state.chunkWaiter = nil
                return (true, waiter)
            }
            if whenFull == .refuse, state.buffered >= maxBufferedBytes {
                state.paused = true
                return (false, nil)
            }
            state.chunks.append(chunk)
            state.buffered += chunk.count
            if whenFull == .takeAndPause, state.buffered >= maxBufferedBytes { state.paused = true }
            return (true, nil)
        }
        waiter?.resume(returning: chunk)
        return taken
    }

    /// The answer ended: nil for a complete body, else why not. When no head came, `headIfNone`
    /// is the head (an answer without a body), else the reader gets the failure. Only the first
    /// call counts.
    public func finish(_ failure: UpstreamFailure?, headIfNone: UpstreamHead? = nil) {
        let waiters = state.withLock { state -> (CheckedContinuation<Result<UpstreamHead, UpstreamFailure>, Never>?, Result<UpstreamHead, UpstreamFailure>, CheckedContinuation<[UInt8]?, Never>?)? in
            guard !state.ended else { return nil }
            state.ended = true
            state.source = nil
            state.failure = failure
            var answer: Result<UpstreamHead, UpstreamFailure> = .failure(failure ?? .other("no response"))
            if state.head == nil, let headIfNone {
                state.head = headIfNone
                answer = .success(headIfNone)
            }
            defer { (state.headWaiter, state.chunkWaiter) = (nil, nil) }
            return (state.headWaiter, answer, state.chunkWaiter)
        }
        guard let (headWaiter, answer, chunkWaiter) = waiters else { return }
        headWaiter?.resume(returning: answer)
        chunkWaiter?.resume(returning: nil)
    }

    // MARK: the reader's side

    public func head() async -> Result<UpstreamHead, UpstreamFailure> {
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

    public func next() async -> [UInt8]? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let (ready, resume) = state.withLock { state -> ([UInt8]??, Source?) in
                    if state.nextChunk < state.chunks.count {
                        let chunk = state.chunks[state.nextChunk]
                        state.nextChunk += 1
                        state.buffered -= chunk.count
                        if state.nextChunk == state.chunks.count {
                            state.chunks.removeAll(keepingCapacity: true)
                            state.nextChunk = 0
                        }
                        var resume: Source?
                        if state.paused, state.buffered < maxBufferedBytes / 2 {
                            state.paused = false
                            resume = state.source
                        }
                        return (.some(chunk), resume)
                    }
                    if state.ended { return (.some(nil), nil) }
                    state.chunkWaiter = continuation
                    return (nil, nil)
                }
                if let resume { resumeSource(resume) }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            cancel()
        }
    }

    public var failure: UpstreamFailure? { state.withLock { $0.ended ? $0.failure : nil } }

    public func cancel() {
        let source = state.withLock { state -> Source? in
            state.canceled = true
            return state.ended ? nil : state.source
        }
        if let source { cancelSource(source) }
    }
}
