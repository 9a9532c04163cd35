import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization
import SwitchyardConfig
import SwitchyardCore

/// Shares this host's evidence with its group through PostgreSQL and feeds the peers' back in.
/// It runs beside the daemon's services and never sits on a route's path: the pipeline only
/// appends to the `FleetOutbox`. While PostgreSQL is unreachable (or refuses the login, or has a
/// newer schema) the host routes on its own evidence, says why in `/readyz` (`fleet_problem`) and
/// `status()`, keeps buffering, and reconnects with backoff (0.5 s doubling to 30 s).
public final class FleetService: Service {
    /// What the service needs from the daemon.
    public struct Parts: Sendable {
        public var settings: FleetSettings
        /// Observations this host publishes (the pipeline records into it as a sink).
        public var outbox: FleetOutbox
        /// Hands peers' observations to the health state machine (marked with `seenBy` and their weight).
        public var deliver: @Sendable ([Observation]) -> Void
        /// How many targets this host sees as not healthy now (for its heartbeat).
        public var unhealthyTargets: @Sendable () -> Int
        /// Told the fleet's problem (nil when it works again): `/readyz` shows it.
        public var reportProblem: @Sendable (String?) -> Void
        public var clock: any WallClock
        public var environment: [String: String]
        public var version: String
        public var logger: Logger

        public init(settings: FleetSettings, outbox: FleetOutbox, deliver: @escaping @Sendable ([Observation]) -> Void,
                    unhealthyTargets: @escaping @Sendable () -> Int, reportProblem: @escaping @Sendable (String?) -> Void,
                    clock: any WallClock, environment: [String: String], version: String, logger: Logger) {
            self.settings = settings
            self.outbox = outbox
            self.deliver = deliver
            self.unhealthyTargets = unhealthyTargets
            self.reportProblem = reportProblem
            self.clock = clock
            self.environment = environment
            self.version = version
            self.logger = logger
        }
    }

    private struct Shared {
        var problem: String? = "connecting"
        var hosts: [FleetHost] = []
        var received = 0
        var undecodable = 0
        /// The last row of the group read (nil until the first connection says where to start).
        var cursor: Int64?
    }

    private let parts: Parts
    private let shared = Mutex(Shared())
    /// How often the heartbeat is written (and the group's hosts read).
    let heartbeatSeconds: Double = 2
    /// How often rows past retention are pruned.
    let pruneSeconds: Double = 30

    public init(parts: Parts) {
        self.parts = parts
    }

    /// The fleet as this host sees it now.
    public func status() -> FleetStatus {
        let counts = parts.outbox.counts
        let lag = counts.oldest.map { max(0, parts.clock.now() - $0) } ?? 0
        return shared.withLock { shared in
            FleetStatus(host: parts.settings.host, group: parts.settings.group, problem: shared.problem, hosts: shared.hosts,
                        buffered: counts.waiting, dropped: counts.dropped, published: counts.published, received: shared.received,
                        undecodable: shared.undecodable, publishLagSeconds: lag)
        }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var backoff = 0.5
            while !Task.isCancelled {
                let worked = await self.session()
                if worked { backoff = 0.5 }
                try? await Task.sleep(for: .milliseconds(Int64(backoff * 1000)))
                backoff = min(backoff * 2, 30)
            }
        }
    }

    /// One connected stretch: connect twice (writer, reader), migrate, then publish, heartbeat,
    /// prune and read until something fails. Returns whether it got as far as migrating.
    private func session() async -> Bool {
        let logger = parts.logger
        let connector: FleetConnector
        do {
            connector = try FleetConnector(settings: parts.settings, resolver: SecretResolver(environment: parts.environment), logger: logger)
        } catch {
            setProblem("\(error)")
            return false
        }
        var opened: [PostgresConnection] = []
        defer { for connection in opened { Task { try? await connection.close() } } }
        do {
            let writer = try await connector.connect()
            opened.append(writer)
            try await withDeadline(30, on: writer, "migrating the fleet schema") { try await FleetSchema.migrate(writer, logger: logger) }
            let reader = try await connector.connect()
            opened.append(reader)
            let publisher = FleetPublisher(connection: writer, host: parts.settings.host, group: parts.settings.group, logger: logger)
            let peers = FleetReader(connection: reader, host: parts.settings.host, group: parts.settings.group,
                                    remoteWeight: parts.settings.remoteWeight, logger: logger)
            if shared.withLock({ $0.cursor }) == nil {
                let newest = try await peers.newestSeq()
                shared.withLock { $0.cursor = newest }
            }
            setProblem(nil)
            logger.info("fleet connected", metadata: ["postgres": "\(connector.url)", "host": "\(parts.settings.host)", "group": "\(parts.settings.group)"])
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await self.publish(publisher) }
                group.addTask { try await closingOnCancel(reader, "listening for peers' rows") { try await self.listen(peers) } }
            }
            return true
        } catch is CancellationError {
            return true
        } catch {
            if Task.isCancelled { return true }
            setProblem("\(connector.classify(error))")
            return false
        }
    }

    private func publish(_ publisher: FleetPublisher) async throws {
        var nextHeartbeat = ContinuousClock.now
        var nextPrune = ContinuousClock.now
        while true {
            try Task.checkCancellation()
            _ = try await publisher.flush(parts.outbox)
            if ContinuousClock.now >= nextHeartbeat {
                let lag = status().publishLagSeconds
                let hosts = try await publisher.heartbeat(lagSeconds: lag, unhealthyTargets: parts.unhealthyTargets(), version: parts.version)
                shared.withLock { $0.hosts = hosts }
                nextHeartbeat = .now + .milliseconds(Int64(heartbeatSeconds * 1000))
            }
            if ContinuousClock.now >= nextPrune {
                let deleted = try await publisher.prune(retentionSeconds: parts.settings.retentionSeconds)
                if deleted > 0 { parts.logger.debug("fleet rows pruned", metadata: ["rows": "\(deleted)"]) }
                nextPrune = .now + .milliseconds(Int64(pruneSeconds * 1000))
            }
            await parts.outbox.waitForFailure(orAfter: .seconds(1))
        }
    }

    private func listen(_ peers: FleetReader) async throws {
        let wakeup = Wakeup()
        let group = parts.settings.group
        try await peers.connection.listen(on: FleetPublisher.channel) { notifications in
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    for try await notification in notifications where notification.payload == group { wakeup.signal() }
                    throw FleetError.unreachable("the LISTEN connection closed")
                }
                tasks.addTask {
                    while true {
                        try await self.catchUp(peers)
                        await wakeup.wait(upTo: .milliseconds(Int64(peers.pollSeconds * 1000)))
                    }
                }
                try await tasks.next()
                tasks.cancelAll()
            }
        }
    }

    /// Reads and delivers peers' rows until none are left after the cursor.
    private func catchUp(_ peers: FleetReader) async throws {
        while true {
            try Task.checkCancellation()
            let cursor = shared.withLock { $0.cursor } ?? 0
            let batch = try await peers.read(after: cursor)
            if !batch.evidence.isEmpty { parts.deliver(batch.evidence) }
            for problem in batch.undecodable {
                parts.logger.error("a peer's shared row does not decode; skipped", metadata: ["row": "\(problem)", "event": "fleet_row_undecodable"])
            }
            shared.withLock {
                $0.cursor = batch.cursor
                $0.received += batch.evidence.count
                $0.undecodable += batch.undecodable.count
            }
            if !batch.full { return }
        }
    }

    private func setProblem(_ problem: String?) {
        let changed = shared.withLock { shared -> Bool in
            defer { shared.problem = problem }
            return shared.problem != problem
        }
        guard changed else { return }
        parts.reportProblem(problem)
        if let problem { parts.logger.error("fleet: \(problem); this host routes on its own evidence meanwhile", metadata: ["event": "fleet_problem"]) }
    }
}
