import SwitchyardCore

/// An error that knows how to describe itself to the daemon. Throw one from a `withFailover`
/// attempt (or let `ClientError`, which conforms, through) so the report says what happened.
public protocol ReportableFailure: Error {
    /// The class of failure (`server_error`, `rate_limited`, ...).
    var errorClass: ErrorClass { get }
    /// The HTTP status, when the provider answered one.
    var httpStatus: Int? { get }
}

/// A provider's HTTP error answer, classified the way the daemon's probes classify it.
public struct ProviderHTTPError: ReportableFailure, CustomStringConvertible {
    public var httpStatus: Int?
    public var message: String

    public init(status: Int, message: String = "") {
        httpStatus = status
        self.message = message
    }

    public var errorClass: ErrorClass { Self.errorClass(status: httpStatus ?? 500) }

    /// 401/403 auth, 404 model_not_found, 429 rate_limited, 5xx server_error, anything else bad_response
    /// (the probes' classification, `ErrorClass(httpStatus:)`).
    public static func errorClass(status: Int) -> ErrorClass {
        ErrorClass(httpStatus: status) ?? .badResponse
    }

    public var description: String { "HTTP \(httpStatus ?? 0)\(message.isEmpty ? "" : ": \(message)")" }
}

extension ClientError: ReportableFailure {
    public var errorClass: ErrorClass {
        switch self {
        case .unreachable: .connectRefused
        case .transport: .timeout
        case .daemon(let status, _, _): ProviderHTTPError.errorClass(status: status)
        case .badAnswer: .badResponse
        }
    }

    public var httpStatus: Int? {
        if case .daemon(let status, _, _) = self { return status }
        return nil
    }
}

/// One failed attempt of a `withFailover` call.
public struct FailedAttempt: Sendable, CustomStringConvertible {
    public var candidate: ProviderCandidate
    public var errorClass: ErrorClass
    public var httpStatus: Int?
    public var elapsedMs: Double
    public var error: any Error

    public var description: String {
        "\(candidate.provider) (\(candidate.upstreamModel)): \(errorClass.rawValue)\(httpStatus.map { " \($0)" } ?? "") after \(Int(elapsedMs)) ms: \(error)"
    }
}

/// Every candidate failed; `attempts` holds each one's error in the order tried.
public struct FailoverError: Error, Sendable, CustomStringConvertible {
    public var model: String
    public var attempts: [FailedAttempt]

    public var description: String {
        attempts.isEmpty ? "no candidates for \(model)"
            : "all \(attempts.count) attempts for \(model) failed:\n" + attempts.map { "  \($0)" }.joined(separator: "\n")
    }
}

/// The per-attempt timeout fired.
struct AttemptTimedOut: ReportableFailure, CustomStringConvertible {
    var seconds: Double
    var errorClass: ErrorClass { .timeout }
    var httpStatus: Int? { nil }
    var description: String { "no answer within \(seconds) s" }
}

extension SwitchyardClient {
    /// Calls `attempt` for each candidate of `model`'s route in order until one returns, with a
    /// per-attempt timeout and jittered exponential backoff between attempts; reports every
    /// outcome to the daemon. Throws `FailoverError` with every attempt's error when all fail; an
    /// error whose status is in `callerErrorStatuses` and cancellation of the caller are rethrown as is.
    /// `needs` (e.g. `CapabilityNeeds(requestBody:)` of the request to send) leaves out candidates
    /// that cannot serve it; when none is left, `NoCapableProvider` is thrown and nothing is tried.
    /// `task` routes to the model's targets of that task, bounds each attempt by that task's timeout
    /// (`ClientOptions.attemptTimeout(for:)`) and goes with the reports; `audioSeconds` too, for speech.
    public func withFailover<T: Sendable>(
        model: String, task: InferenceTask = .chat, strategy: RoutingStrategy? = nil, needs: CapabilityNeeds = .none,
        audioSeconds: Double? = nil, _ attempt: @escaping @Sendable (ProviderCandidate) async throws -> T
    ) async throws -> T {
        let route = try await candidates(model: model, strategy: strategy, needs: needs, task: task)
        let timeout = options.attemptTimeout(for: task)
        if route.candidates.isEmpty, !route.excluded.isEmpty {
            throw NoCapableProvider(model: model, excluded: route.excluded.map { ($0.provider, $0.reason) })
        }
        var failures: [FailedAttempt] = []
        for (index, candidate) in cooldowns.order(route.candidates, model: model).enumerated() {
            if index > 0 {
                try await options.sleep(backoffDelay(afterFailure: index - 1))
            }
            let started = options.clock.now()
            do {
                let value = try await withTimeout(timeout) { try await attempt(candidate) }
                report(OutcomeReport(provider: candidate.provider, model: model, startedAt: started.secondsSinceEpoch, outcome: "ok",
                                     totalMs: elapsedMs(since: started), task: task, audioSeconds: audioSeconds))
                cooldowns.clear(provider: candidate.provider, model: model)
                return value
            } catch where error is CancellationError || Task.isCancelled {
                // The caller gave up (HTTP clients surface that as their own errors): not the provider's fault.
                throw CancellationError()
            } catch let error as any ReportableFailure where error.httpStatus.map(Self.callerErrorStatuses.contains) == true {
                // The request itself is bad: every provider would refuse it, and it is no provider's fault.
                throw error
            } catch {
                let reportable = error as? any ReportableFailure
                let errorClass = reportable?.errorClass ?? .serverError
                let elapsed = elapsedMs(since: started)
                report(OutcomeReport(provider: candidate.provider, model: model, startedAt: started.secondsSinceEpoch,
                                     outcome: errorClass.rawValue, status: reportable?.httpStatus, totalMs: elapsed,
                                     task: task, audioSeconds: audioSeconds))
                cooldowns.mark(provider: candidate.provider, model: model)
                cache.invalidate(model: model)
                failures.append(FailedAttempt(candidate: candidate, errorClass: errorClass, httpStatus: reportable?.httpStatus,
                                              elapsedMs: elapsed, error: error))
            }
        }
        throw FailoverError(model: model, attempts: failures)
    }

    /// Statuses that say the request itself is wrong (400, 413, 422): `withFailover` throws them at
    /// once, without trying another provider or reporting a failure, as the Python client does.
    public static let callerErrorStatuses: Set<Int> = [400, 413, 422]

    /// Seconds to wait before the attempt after failure number `failure` (0-based).
    func backoffDelay(afterFailure failure: Int) -> Double {
        let ceiling = min(options.backoffCapSeconds, options.backoffBaseSeconds * Double(1 << min(failure, 30)))
        return jitter.uniform(below: ceiling)
    }

    private func elapsedMs(since started: Timestamp) -> Double {
        max(0, (options.clock.now() - started) * 1000)
    }

    /// Runs `work`, throwing `AttemptTimedOut` when it takes longer than `seconds` (the work is canceled).
    private func withTimeout<T: Sendable>(_ seconds: Double, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await work() }
            let clock = options.attemptClock
            group.addTask {
                try await clock.sleep(for: .seconds(seconds))
                throw AttemptTimedOut(seconds: seconds)
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw AttemptTimedOut(seconds: seconds) }
            return first
        }
    }
}
