import Logging
import Synchronization
import SwitchyardCore

/// How a `SwitchyardClient` caches, reports, fails over and falls back. Time and randomness are
/// parameters so that tests of the cache TTL and the backoff are exact.
public struct ClientOptions: Sendable {
    /// How long a route is reused before the daemon is asked again.
    public var cacheTTLSeconds: Double = 1
    /// The order to use per model when the daemon cannot be reached.
    public var staticRoutes: [String: [ProviderCandidate]] = [:]
    /// Longest a single chat or completion attempt in `withFailover` may take.
    public var attemptTimeoutSeconds: Double = 30
    /// Longest a single attempt of another task may take, when set; else the task's own default
    /// (`InferenceTask.defaultAttemptTimeoutSeconds`: 10 s for embeddings, 60 s for an image, 300 s for a video).
    public var taskAttemptTimeoutSeconds: [InferenceTask: Double] = [:]
    /// Backoff between attempts: uniform in [0, min(cap, base * 2^n)) (full jitter).
    public var backoffBaseSeconds: Double = 0.02
    public var backoffCapSeconds: Double = 1
    /// How long a provider this process saw fail is tried last, before the daemon's route catches up.
    public var failureCooldownSeconds: Double = 2
    public var reportCapacity: Int = 1000
    /// Successes wait up to this long to travel in a batch; failures go at once.
    public var reportIntervalSeconds: Double = 0.25
    /// Timeout of one call to the daemon.
    public var daemonTimeoutSeconds: Double = 1
    public var clock: any WallClock = SystemWallClock()
    /// Times each attempt against `attemptTimeoutSeconds`; tests pass a manual clock.
    public var attemptClock: any Clock<Duration> = ContinuousClock()
    /// Waits between attempts; tests pass one that records instead of sleeping.
    public var sleep: @Sendable (Double) async throws -> Void = { seconds in try await Task.sleep(for: .seconds(seconds)) }
    /// Seed of the jitter generator (random by default).
    public var seed: UInt64 = UInt64.random(in: 0...UInt64.max)
    public var logger = Logger(label: "switchyard.client")
    /// Which key goes to which provider (`SwitchyardClient.apiKey(for:)`); none by default.
    public var keys = ProviderKeys()
    /// Over TCP, the hosts (`host` or `*.domain`) whose candidates may get a key; the hosts of
    /// `staticRoutes` are always trusted. Over the Unix socket the daemon's own providers are.
    public var trustedHosts: [String] = []

    public init() {}

    /// How long one attempt of `task` may take.
    public func attemptTimeout(for task: InferenceTask) -> Double {
        if task == .chat || task == .completion { return taskAttemptTimeoutSeconds[task] ?? attemptTimeoutSeconds }
        return taskAttemptTimeoutSeconds[task] ?? task.defaultAttemptTimeoutSeconds
    }
}

/// Seeded randomness for the backoff jitter, shared by concurrent callers.
final class JitterSource: Sendable {
    private let generator: Mutex<SplitMix64>

    init(seed: UInt64) { generator = Mutex(SplitMix64(seed: seed)) }

    /// Uniform in [0, upper).
    func uniform(below upper: Double) -> Double {
        guard upper > 0 else { return 0 }
        return generator.withLock { Double.random(in: 0..<upper, using: &$0) }
    }
}

/// Remembers whether the daemon is down so that the fallback is logged once, not per request.
final class FallbackNotice: Sendable {
    private let down = Atomic<Bool>(false)

    /// True when this is the first failure since the daemon last answered.
    func daemonFailed() -> Bool { !down.exchange(true, ordering: .relaxed) }

    /// True when the daemon answers after having been down.
    func daemonAnswered() -> Bool { down.exchange(false, ordering: .relaxed) }
}
