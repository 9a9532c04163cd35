import SwitchyardCore

/// When a target is probed next, from how its probes went. A value with no clock of its
/// own: the outcome, Retry-After and jitter come in as parameters, so tests are exact.
///
/// - success: the configured interval.
/// - rate limited: the provider's `Retry-After` when it gave one, else the backoff below.
/// - any other failure: the interval doubled per consecutive failure, capped at
///   `maxBackoffSeconds`, so a dead provider is not hammered and a recovered one is seen soon.
/// - canceled: says nothing about the target; the interval.
public struct ProbeBackoff: Hashable, Sendable {
    public let intervalSeconds: Double
    public let maxBackoffSeconds: Double
    /// Failures in a row (canceled probes neither count nor reset).
    public private(set) var consecutiveFailures = 0

    /// `maxBackoffSeconds` defaults to eight intervals, within [interval, 600 s].
    public init(intervalSeconds: Double, maxBackoffSeconds: Double? = nil) {
        self.intervalSeconds = intervalSeconds
        self.maxBackoffSeconds = maxBackoffSeconds ?? max(intervalSeconds, min(intervalSeconds * 8, 600))
    }

    /// Records an outcome and returns the seconds to wait before the next probe.
    /// `jitter` multiplies the wait (the scheduler draws it from 0.9...1.1) so targets never herd.
    public mutating func delay(after outcome: Outcome, retryAfterSeconds: Double?, jitter: Double) -> Double {
        switch outcome {
        case .ok:
            consecutiveFailures = 0
            return intervalSeconds * jitter
        case .failure(.canceled):
            return intervalSeconds * jitter
        case .failure(let errorClass):
            consecutiveFailures += 1
            if errorClass == .rateLimited || errorClass == .serverError, let retryAfterSeconds, retryAfterSeconds > 0 {
                // Honour the provider, never sooner; jitter only delays.
                return retryAfterSeconds * max(1, jitter)
            }
            let doubled = intervalSeconds * Double(1 << min(consecutiveFailures - 1, 20))
            return min(doubled, maxBackoffSeconds) * jitter
        }
    }
}
