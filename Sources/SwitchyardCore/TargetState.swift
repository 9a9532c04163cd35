/// The health state of one target. `draining` is set only by an admin.
public enum TargetState: String, CaseIterable, Sendable, Codable {
    case unknown
    case healthy
    case degraded
    case rateLimited = "rate_limited"
    case ejected
    case draining

    /// Whether a route may offer the target outside panic mode.
    public var isRoutable: Bool {
        switch self {
        case .unknown, .healthy, .degraded: true
        case .rateLimited, .ejected, .draining: false
        }
    }
}

/// One state change of one target, with its reason: recorded in the events log and SQLite.
public struct Transition: Hashable, Sendable {
    public var target: Target
    public var from: TargetState
    public var to: TargetState
    public var at: Timestamp
    public var reason: String

    public init(target: Target, from: TargetState, to: TargetState, at: Timestamp, reason: String) {
        self.target = target
        self.from = from
        self.to = to
        self.at = at
        self.reason = reason
    }
}
