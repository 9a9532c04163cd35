/// Short human-readable reasons for a candidate's place in a route.
enum RouteReasons {
    /// The state's reason (when not plainly healthy) followed by the measurements' reasons,
    /// which are formatted when measured: a healthy target's reasons cost no allocation here.
    /// Then what the target's answers taught (learned capabilities) and the needs it is not known to meet.
    /// Tasks that do not stream text speak in their own terms ("p50 41 s per image", "0.12 s compute
    /// per audio s", "$0.004 per image"); chat's and completion's reasons are prepared by the statistics.
    /// `price` is the candidate's expected USD per typical request of its task.
    static func describe(_ snapshot: borrowing TargetSnapshot, now: Timestamp, needs: CapabilityNeeds = .none, price: Double? = nil,
                         policy: ScoringPolicy = ScoringPolicy()) -> [String] {
        var reasons = stateReasons(snapshot, now: now)
        if !snapshot.descriptor.task.generatesText { reasons += TaskReasons.describe(snapshot, price: price, policy: policy) }
        if !snapshot.learned.isEmpty { reasons += snapshot.learned.reasons(at: now) }
        if !needs.isEmpty, case .unknown(let unknown) = needs.fit(snapshot.capabilities(at: now)) { reasons += unknown }
        return reasons
    }

    private static func stateReasons(_ snapshot: borrowing TargetSnapshot, now: Timestamp) -> [String] {
        // A non-text task's measurements are described in its own terms (`TaskReasons`).
        let measured = snapshot.descriptor.task.generatesText ? snapshot.stats.measurementReasons : []
        if snapshot.health.state == .healthy { return measured }
        var reasons: [String] = []
        let health = snapshot.health
        switch health.state {
        case .unknown:
            reasons.append("no measurements yet")
        case .ejected:
            let ago = Duration.describe(seconds: now - health.since)
            let last = health.lastFailure.map { " (last: \($0.rawValue)\(seenBy(health)))" } ?? ""
            reasons.append("ejected \(ago) ago after \(health.consecutiveFailures) consecutive failures\(last)")
            if let until = health.ejectedUntil { reasons.append("half-open probe from \(until.timeOfDay)") }
        case .rateLimited:
            if let until = health.retryAt { reasons.append("rate limited until \(until.timeOfDay)") }
        case .draining:
            reasons.append("drained by an admin")
        case .degraded:
            let unmeasured = snapshot.descriptor.published?.status == .error ? "the catalog reports status error" : "recent failures"
            let last = health.lastFailure.map { "last failure: \($0.rawValue)\(seenBy(health))" } ?? unmeasured
            reasons.append("degraded, \(last)")
        case .healthy:
            break
        }
        return reasons + measured
    }

    /// ", seen by host B" when the last failure was a fleet peer's shared observation.
    private static func seenBy(_ health: TargetHealth) -> String {
        health.lastFailureSeenBy.map { ", seen by host \($0)" } ?? ""
    }
}

extension Duration {
    /// "2m10s", "45s", "1h3m": a compact human duration.
    static func describe(seconds: Double) -> String {
        let total = max(Int(seconds.rounded(.down)), 0)
        let hours = total / 3600
        let minutes = total / 60 % 60
        let secs = total % 60
        if hours > 0 { return "\(hours)h\(minutes)m" }
        if minutes > 0 { return "\(minutes)m\(secs)s" }
        return "\(secs)s"
    }
}
