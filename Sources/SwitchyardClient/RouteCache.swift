import Synchronization
import SwitchyardCore

/// Routes kept for a short TTL so a hot path does not ask the daemon per request. Time comes
/// from the client's clock, so tests decide when an entry expires.
final class RouteCache: Sendable {
    struct Key: Hashable, Sendable {
        var model: String
        var strategy: String
        var needs: CapabilityNeeds = .none
        var task: InferenceTask = .chat
    }

    let ttl: Double
    private let clock: any WallClock
    private let entries = Mutex<[Key: (expires: Timestamp, route: ResolvedRoute)]>([:])

    init(ttl: Double, clock: any WallClock) {
        self.ttl = ttl
        self.clock = clock
    }

    /// The route for `key` while it is fresh.
    func get(_ key: Key) -> ResolvedRoute? {
        let now = clock.now()
        return entries.withLock { entries in
            guard let entry = entries[key], entry.expires > now else { return nil }
            return entry.route
        }
    }

    func put(_ key: Key, _ route: ResolvedRoute) {
        let expires = clock.now() + ttl
        entries.withLock { $0[key] = (expires, route) }
    }

    /// Forgets every route of `model`: after a failure the next call asks the daemon afresh.
    func invalidate(model: String) {
        entries.withLock { entries in entries = entries.filter { $0.key.model != model } }
    }
}

/// Providers this process just saw fail, tried last until their cooldown ends. Covers the
/// moments before the daemon, fed by the reports, takes the target out of the route.
final class FailureCooldowns: Sendable {
    let seconds: Double
    private let clock: any WallClock
    private let until = Mutex<[String: Timestamp]>([:])

    init(seconds: Double, clock: any WallClock) {
        self.seconds = seconds
        self.clock = clock
    }

    private func key(_ provider: String, _ model: String) -> String { provider + "\u{0}" + model }

    func mark(provider: String, model: String) {
        let end = clock.now() + seconds
        until.withLock { $0[key(provider, model)] = end }
    }

    func clear(provider: String, model: String) {
        _ = until.withLock { $0.removeValue(forKey: key(provider, model)) }
    }

    /// `candidates` with the ones cooling down moved to the end, each group in rank order.
    func order(_ candidates: [ProviderCandidate], model: String) -> [ProviderCandidate] {
        let now = clock.now()
        let cooling = until.withLock { until in Set(candidates.map(\.provider).filter { (until[key($0, model)] ?? now) > now }) }
        guard !cooling.isEmpty else { return candidates }
        return candidates.filter { !cooling.contains($0.provider) } + candidates.filter { cooling.contains($0.provider) }
    }
}
