/// The fleet as this host sees it (`GET /v1/fleet`, `switchyard fleet`, the status page, metrics):
/// who shares evidence in its group, when each was last heard from, and how its publishing goes.
public struct FleetStatus: Hashable, Sendable {
    /// This host's name in the fleet.
    public var host: String
    /// The group whose hosts share evidence.
    public var group: String
    /// Why PostgreSQL cannot be used now (unreachable, refused login, newer schema); nil while it works.
    public var problem: String?
    /// The hosts of the group, this one included, by name.
    public var hosts: [FleetHost]
    /// Observations waiting to be published.
    public var buffered: Int
    /// Observations dropped because the buffer was full, since start.
    public var dropped: Int
    /// Observations published, since start.
    public var published: Int
    /// Peers' observations received and fed to health, since start.
    public var received: Int
    /// Peers' rows skipped because they did not decode, since start.
    public var undecodable: Int
    /// Seconds the oldest waiting observation has waited (0 with none waiting).
    public var publishLagSeconds: Double

    public init(host: String, group: String, problem: String? = nil, hosts: [FleetHost] = [], buffered: Int = 0, dropped: Int = 0,
                published: Int = 0, received: Int = 0, undecodable: Int = 0, publishLagSeconds: Double = 0) {
        self.host = host
        self.group = group
        self.problem = problem
        self.hosts = hosts
        self.buffered = buffered
        self.dropped = dropped
        self.published = published
        self.received = received
        self.undecodable = undecodable
        self.publishLagSeconds = publishLagSeconds
    }
}

/// One host of the group, from its heartbeat row on PostgreSQL.
public struct FleetHost: Hashable, Sendable {
    public var name: String
    /// When it last wrote its heartbeat (PostgreSQL's clock).
    public var lastSeen: Timestamp
    /// How long its observations waited before they were published, at its last heartbeat.
    public var publishLagSeconds: Double
    /// How many targets it sees as not healthy (degraded, ejected, rate limited, draining).
    public var unhealthyTargets: Int
    /// Whether this is the host answering.
    public var isSelf: Bool
    /// Whether it has not been heard from for longer than `FleetHost.staleAfterSeconds`.
    public var stale: Bool

    /// A host silent this long is shown as stale.
    public static let staleAfterSeconds: Double = 15

    public init(name: String, lastSeen: Timestamp, publishLagSeconds: Double, unhealthyTargets: Int, isSelf: Bool, stale: Bool) {
        self.name = name
        self.lastSeen = lastSeen
        self.publishLagSeconds = publishLagSeconds
        self.unhealthyTargets = unhealthyTargets
        self.isSelf = isSelf
        self.stale = stale
    }
}
