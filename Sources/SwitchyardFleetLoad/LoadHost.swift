import Logging
import Synchronization
import SwitchyardConfig
import SwitchyardCore
import SwitchyardFleet

/// One simulated fleet host: the real fleet parts a daemon with `fleet:` runs (its outbox,
/// `FleetService` publishing and reading on two connections, `FleetProbeDuty` on a third,
/// `FleetDrains` on a fourth), fed synthetic observations at the rates instead of probes:
/// every target's liveness every `livenessSeconds`, a paid completion probe per target every
/// `paidSeconds` claimed through the real lease + budget statement, and `reportsPerSecond` reports.
public final class LoadHost: Sendable {
    /// What the load is.
    public struct Shape: Sendable {
        public var targets = 1000
        public var providers = 10
        public var livenessSeconds = 10.0
        public var paidSeconds = 60.0
        public var reportsPerSecond = 10.0
        /// One report in this many fails (published at once, as the outbox does for failures).
        public var reportFailureEvery = 50
        /// What a paid probe is estimated at and really costs; the fleet's limit per provider and day.
        public var estimateUSD = 0.001
        public var costUSD = 0.0008
        public var limitUSDPerDay: Double? = 100
        public init() {}
    }

    /// Counters of what this host did.
    public struct Counts: Sendable {
        public var liveness = 0
        public var livenessShared = 0
        public var claims = 0
        public var won = 0
        public var taken = 0
        public var budgetSpent = 0
        public var unreachable = 0
        public var reports = 0
        public var received = 0
    }

    public let name: String
    public let index: Int
    let shape: Shape
    let outbox: FleetOutbox
    let service: FleetService
    let duty: FleetProbeDuty
    let drains: FleetDrains
    private let counts = Tally()

    public init(index: Int, shape: Shape, settings: FleetSettings, environment: [String: String], logger: Logger) throws {
        self.index = index
        self.name = settings.host
        self.shape = shape
        // The daemon's rule (FleetWiring): reports and the completion probes a host ran are shared.
        outbox = FleetOutbox(shouldPublish: FleetOutbox.sharesReportsAndCompletionProbes)
        let counts = self.counts
        service = FleetService(parts: .init(
            settings: settings, outbox: outbox,
            deliver: { observations in counts.value.withLock { $0.received += observations.count } },
            unhealthyTargets: { 0 }, reportProblem: { _ in }, clock: SystemWallClock(), environment: environment,
            version: "fleet-load", logger: logger))
        let connector = try FleetConnector(settings: settings, resolver: SecretResolver(environment: environment), logger: logger)
        var options = FleetProbeDuty.Options(group: settings.group, host: settings.host)
        options.retentionSeconds = settings.retentionSeconds
        duty = FleetProbeDuty(connector: connector, options: options, logger: logger)
        drains = FleetDrains(connector: connector, group: settings.group, host: settings.host, logger: logger) { _ in }
    }

    /// Target `i` of a host's catalog: the same for every host (they watch the same providers).
    public static func target(_ index: Int, providers: Int) -> Target {
        Target(provider: ProviderID("provider-\(index % max(providers, 1))"), model: ModelName("model-\(index)"))
    }

    public var snapshot: Counts { counts.value.withLock { $0 } }
    public func status() -> FleetStatus { service.status() }

    /// Runs the fleet parts and the feeds until cancelled; `start` is the run's common start (seconds since epoch).
    public func run(start: Double) async {
        await withDiscardingTaskGroup { group in
            group.addTask { try? await self.service.run() }
            group.addTask { try? await self.drains.run() }
            group.addTask { await self.feedLiveness(start: start) }
            group.addTask { await self.feedPaid(start: start) }
            group.addTask { await self.feedReports(start: start) }
        }
        await duty.close()
    }

    /// Hosts do not run in step: each host's phases are shifted by a fraction of a second per host.
    private var offset: Double { Double(index) * 0.37 }

    private func ticks(start: Double, every tick: Double = 0.1, _ body: (Double, Double) async -> Void) async {
        var from = SystemWallClock().now().secondsSinceEpoch - start
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(Int64(tick * 1000)))
            let to = SystemWallClock().now().secondsSinceEpoch - start
            await body(from, to)
            from = to
        }
    }

    private func feedLiveness(start: Double) async {
        // A liveness-mode probe of each target; the daemon's rule keeps it on the host.
        let schedule = LoadSchedule(count: shape.targets, intervalSeconds: shape.livenessSeconds, offsetSeconds: offset)
        await ticks(start: start) { from, to in
            let due = schedule.due(from: from, to: to)
            guard !due.isEmpty else { return }
            let now = SystemWallClock().now()
            var shared = 0
            for index in due {
                let observation = Observation(target: Self.target(index, providers: shape.providers), source: .probe,
                                              startedAt: now + -0.05, outcome: .ok, httpStatus: 200, totalSeconds: 0.05)
                if FleetOutbox.sharesReportsAndCompletionProbes(observation) { shared += 1 }
                outbox.record(observation)
            }
            counts.value.withLock { $0.liveness += due.count; $0.livenessShared += shared }
        }
    }

    private func feedPaid(start: Double) async {
        let schedule = LoadSchedule(count: shape.targets, intervalSeconds: shape.paidSeconds, offsetSeconds: offset)
        await ticks(start: start) { from, to in
            for index in schedule.due(from: from, to: to) {
                if Task.isCancelled { return }
                await paidProbe(Self.target(index, providers: shape.providers))
            }
        }
    }

    /// One paid probe's claim, as the scheduler makes it: the winner publishes a completion result
    /// and settles its cost; a host that lost the slot probes liveness only (kept on the host, as
    /// the daemon does).
    private func paidProbe(_ target: Target) async {
        let now = SystemWallClock().now()
        let claim = ProbeDutyClaim(target: target, budgetProvider: target.provider,
                                   slot: ProbeDutyClaim.slot(at: now, intervalSeconds: shape.paidSeconds),
                                   day: Int64((now.secondsSinceEpoch / 86_400).rounded(.down)),
                                   estimateUSD: shape.estimateUSD, limitUSD: shape.limitUSDPerDay)
        let answer = await duty.claim(claim)
        var observation = Observation(target: target, source: .probe, startedAt: now, outcome: .ok, httpStatus: 200, totalSeconds: 0.05)
        switch answer {
        case .won, .unreachable:
            observation = Observation(target: target, source: .probe, startedAt: now, outcome: .ok, httpStatus: 200,
                                      totalSeconds: 0.8, ttftSeconds: 0.3, tokensIn: 12, tokensOut: 16, costUSD: shape.costUSD)
            observation.tokensPerSecond = 32
            observation.completionProbe = true
        case .taken, .budgetSpent:
            break
        }
        outbox.record(observation)
        if case .won = answer { await duty.settle(claim, costUSD: shape.costUSD) }
        counts.value.withLock { counts in
            counts.claims += 1
            switch answer {
            case .won: counts.won += 1
            case .taken: counts.taken += 1
            case .budgetSpent: counts.budgetSpent += 1
            case .unreachable: counts.unreachable += 1
            }
        }
    }

    private func feedReports(start: Double) async {
        let schedule = LoadSchedule(count: shape.targets, intervalSeconds: Double(shape.targets) / shape.reportsPerSecond, offsetSeconds: offset)
        var made = 0
        await ticks(start: start) { from, to in
            let now = SystemWallClock().now()
            for index in schedule.due(from: from, to: to) {
                made += 1
                let fails = made % max(shape.reportFailureEvery, 1) == 0
                var observation = Observation(target: Self.target(index, providers: shape.providers), source: .report, startedAt: now + -1.2,
                                              outcome: fails ? .failure(.rateLimited) : .ok, httpStatus: fails ? 429 : 200,
                                              totalSeconds: 1.2, ttftSeconds: fails ? nil : 0.4, tokensIn: 200, tokensOut: fails ? nil : 150)
                observation.reporter = "uid:\(1000 + index % 7)"
                outbox.record(observation)
            }
            counts.value.withLock { $0.reports = made }
        }
    }
}

/// A host's counters, shared by its feeds and its FleetService's delivery closure.
final class Tally: Sendable {
    let value = Mutex(LoadHost.Counts())
}
