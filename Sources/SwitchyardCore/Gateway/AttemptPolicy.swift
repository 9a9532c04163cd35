/// How one upstream attempt ended, as far as the failover decision needs to know.
public enum AttemptOutcome: Hashable, Sendable {
    /// A 2xx head arrived: the answer goes to the caller from here on.
    case answered
    /// An HTTP status other than 2xx, before any byte went to the caller.
    case status(Int)
    /// No connection (refused, DNS, TLS).
    case connectFailed
    /// No first byte within the attempt timeout.
    case timedOut
    /// Something that is not HTTP, or not the answer's format.
    case garbage
    /// A 400 whose body said this target lacks a feature the request uses (tools, structured
    /// output): another target may serve it, and it counts against no provider's health.
    case unsupported
    /// A 2xx whose body is not a valid answer of the task (not JSON, an image that does not
    /// decode, a vector of the wrong size): a failed attempt, reported with this class.
    case invalidAnswer(ErrorClass)
}

/// What the forwarding loop does next.
public enum AttemptDecision: Hashable, Sendable {
    /// Send the caller this attempt's answer (a success, or an error that is the request's fault).
    case deliver
    /// Try the candidate at this index of the plan.
    case tryNext(Int)
    /// Nothing left to try: answer with the last failure.
    case giveUp
}

/// Envoy-style retry policy as a value: which candidates, how many attempts, how long each
/// may take to its first byte. `decide` is a pure function of what happened so far; the
/// gateway's forwarding loop only executes it.
public struct AttemptPolicy: Hashable, Sendable {
    /// Candidates in the order to try them (already pinned and filtered).
    public var candidateCount: Int
    /// Attempts in all, including the first (`gateway.max_attempts`); 1 when pinned.
    public var maxAttempts: Int
    /// Seconds each attempt may take to its first byte (and, streaming, between bytes).
    public var attemptTimeoutSeconds: Double

    public init(candidateCount: Int, maxAttempts: Int, attemptTimeoutSeconds: Double) {
        self.candidateCount = candidateCount
        self.maxAttempts = max(1, maxAttempts)
        self.attemptTimeoutSeconds = attemptTimeoutSeconds
    }

    /// The first attempt, or `giveUp` when there is no candidate at all.
    public var first: AttemptDecision { candidateCount > 0 ? .tryNext(0) : .giveUp }

    /// After attempt number `attempt` (0-based, the candidate at that index) ended with
    /// `outcome`, with `secondsLeft` of the request's deadline remaining.
    public func decide(after outcome: AttemptOutcome, attempt: Int, secondsLeft: Double) -> AttemptDecision {
        switch outcome {
        case .answered:
            return .deliver
        case .status(let status) where Self.isCallersFault(status):
            return .deliver
        case .status(let status) where !Self.isRetriable(status):
            return .deliver
        case .unsupported:
            // The next candidate may have the feature; with none left, the caller gets the 400 itself.
            let next = attempt + 1
            guard next < candidateCount, next < maxAttempts, secondsLeft > 0 else { return .deliver }
            return .tryNext(next)
        default:
            let next = attempt + 1
            guard next < candidateCount, next < maxAttempts, secondsLeft > 0 else { return .giveUp }
            return .tryNext(next)
        }
    }

    /// 400, 404 (the model), 413, 422: the request's own fault. Returned at once; it counts
    /// against no provider.
    public static func isCallersFault(_ status: Int) -> Bool { [400, 404, 413, 422].contains(status) }

    /// Statuses worth another provider: 5xx, 429, and 401/403/408/409 (this provider's key,
    /// timeout or conflict, not the request's fault).
    public static func isRetriable(_ status: Int) -> Bool {
        status >= 500 || [401, 403, 408, 409, 429].contains(status)
    }

    /// The error class an attempt's outcome is reported with; nil for a success or a
    /// caller's fault (which counts against no provider).
    public static func errorClass(_ outcome: AttemptOutcome) -> ErrorClass? {
        switch outcome {
        case .answered, .unsupported: nil
        case .status(let status): isCallersFault(status) ? nil : ErrorClass(httpStatus: status)
        case .connectFailed: .connectRefused
        case .timedOut: .timeout
        case .garbage: .badResponse
        case .invalidAnswer(let errorClass): errorClass
        }
    }
}

/// Default attempt timeouts by kind of request, when the model sets no `attempt_timeout`.
public enum AttemptTimeouts {
    /// A stream's first byte comes early; a whole non-streaming answer may take long.
    public static func defaultSeconds(streaming: Bool, generates: Bool) -> Double {
        if !generates { return 30 }
        return streaming ? 30 : 120
    }

    /// By task: text keeps the rule above (a stream's first byte soon, a whole answer later);
    /// every other task takes `InferenceTask.defaultAttemptTimeoutSeconds` (embeddings 10 s, an
    /// image or speech 60 s, a video 300 s), so an image is not cut by a chat-sized timeout.
    public static func defaultSeconds(task: InferenceTask, streaming: Bool) -> Double {
        task.generatesText ? defaultSeconds(streaming: streaming, generates: true) : task.defaultAttemptTimeoutSeconds
    }

    /// The timeout one attempt gets: the model's `attempt_timeout` when set, else the task's default.
    public static func seconds(task: InferenceTask, streaming: Bool, configured: Double?) -> Double {
        configured ?? defaultSeconds(task: task, streaming: streaming)
    }
}

extension AttemptPolicy {
    /// Whether an attempt that has waited `waitedSeconds` for its answer is cut now.
    public func cuts(waitedSeconds: Double) -> Bool { waitedSeconds >= attemptTimeoutSeconds }
}
