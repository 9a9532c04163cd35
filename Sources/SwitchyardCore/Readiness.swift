import Synchronization

/// What `/readyz` reports: ready once the config is loaded, either a probe round finished or
/// state was warm-started from SQLite, and every discovering provider has a catalog or tried once.
public final class Readiness: Sendable {
    public struct Status: Hashable, Sendable {
        public var configLoaded = false
        public var firstProbeRoundDone = false
        public var warmStarted = false
        /// Last problem writing the database, if it is failing now.
        public var storageProblem: String?
        /// Set when the state database was corrupt at start-up: where it was moved and that a fresh one started.
        public var databaseRecovered: String?
        /// Why the last configuration reload was refused, while the old configuration runs on; nil after a good reload.
        public var reloadProblem: String?
        /// Discovering providers whose catalog cannot be read now, with why; the last good catalog stays in use.
        public var discoveryProblems: [String: String] = [:]
        /// Discovering providers with no catalog yet (none read, none restored) whose first read has not finished.
        public var discoveryPending: Set<String> = []
        /// Why the fleet's PostgreSQL cannot be used now; the host routes on its own evidence meanwhile (not a readiness condition).
        public var fleetProblem: String?

        public var isReady: Bool { configLoaded && (firstProbeRoundDone || warmStarted) && discoveryPending.isEmpty }
    }

    private let status = Mutex(Status())

    public init() {}

    public var current: Status { status.withLock { $0 } }

    public func update(_ change: (inout Status) -> Void) {
        status.withLock { change(&$0) }
    }
}
