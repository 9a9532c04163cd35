/// A daemon-wide event for the events log that belongs to no single target:
/// a configuration reload (or its failure) and who asked for it, a corrupt database moved aside,
/// or what a catalog refresh (discovery) changed.
public struct DaemonEvent: Hashable, Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case reload
        case reloadFailed = "reload_failed"
        /// The state database was corrupt at start-up: moved aside, and a fresh one started.
        case databaseRecovered = "database_recovered"
        /// A catalog refresh added, removed or changed one discovered target (one event per target).
        case discovery
        /// A catalog could not be read; the last good one stays in use.
        case discoveryFailed = "discovery_failed"
        /// A catalog listed more targets than `discover.max_targets`; the rest were left out.
        case discoveryCut = "discovery_cut"
        /// A target's 400 said it lacks a feature (tools, structured output): routes needing it leave it out for a while.
        case capabilityLearned = "capability_learned"
        /// The fleet's PostgreSQL could not be asked who runs a paid probe: this host probes alone within its share of
        /// each budget; or it can be asked again and probe duty is shared once more.
        case fleetProbeDuty = "fleet_probe_duty"
    }

    public var at: Timestamp
    public var kind: Kind
    /// Who caused it: `uid:N` on the Unix socket, `token` over TCP, `signal` for SIGHUP, `daemon` for the daemon itself.
    public var caller: String
    public var message: String

    public init(at: Timestamp, kind: Kind, caller: String, message: String) {
        self.at = at
        self.kind = kind
        self.caller = caller
        self.message = message
    }
}

/// What a configuration reload did; a failed reload leaves the old configuration running.
public struct ReloadOutcome: Hashable, Sendable {
    public var succeeded: Bool
    /// One line: what changed, or why the new configuration was refused (`file:line:column: …`).
    public var message: String
    public var added: Int
    public var removed: Int
    public var kept: Int

    public init(succeeded: Bool, message: String, added: Int = 0, removed: Int = 0, kept: Int = 0) {
        self.succeeded = succeeded
        self.message = message
        self.added = added
        self.removed = removed
        self.kept = kept
    }
}
