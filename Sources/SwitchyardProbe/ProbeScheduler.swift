import Logging
import ServiceLifecycle
import Synchronization
import SwitchyardCore

/// The daemon's scheduler: probes and their timers on the libcurl engine's thread.
public typealias ProbeScheduler = ClockedProbeScheduler<EngineClock>

/// Probes every target on its own schedule, as its `ProbePlan` decides: the plan holds the
/// queue, windows, generations, jitter, budgets and first round; this carries out what it
/// says. One loop steps the plan when a timer set on the clock `C` fires or something
/// changed; every probe and timer is a child task of one discarding task group, so shutdown
/// (graceful or canceled) cancels them all and waits for them. Probes run under a global cap
/// and a per-provider cap, so a hung or dripping provider holds only its own slots.
/// A reload cancels the probes in flight of the targets it removes or changes (by generation),
/// and a probe of a generation a reload ended is not delivered.
public final class ClockedProbeScheduler<C: Clock>: Service, Sendable where C.Duration == Duration, C.Instant: Sendable {
    public struct Dependencies: Sendable {
        public var transport: any HTTPTransport
        /// Dates: observations' start times and the budgets' UTC day.
        public var wallClock: any WallClock
        /// What the loop's timers and the probes' lateness run on (the engine's, or a manual one in tests).
        public var clock: C
        /// Receives every probe's observation (health, store, metrics fan-out).
        public var deliver: @Sendable (Observation) -> Void
        /// When a target's next probe is due, given when its last one finished and its interval:
        /// the health book's answer (half-open probe time, Retry-After, quick confirmation of a failure).
        public var nextProbeAt: @Sendable (Target, Timestamp, Double) -> Timestamp
        /// Called once when every target has been probed at least once.
        public var onFirstRound: @Sendable () -> Void
        /// Receives how late each probe started against its plan, in seconds.
        public var onLateness: @Sendable (Target, Double) -> Void
        /// Where the loop and the probes run: the `CurlEngine`, so that a probe, its transfer and its
        /// timer share a thread; nil uses the global executor.
        public var executor: (any TaskExecutor)?
        /// Fault injection for the watchdog test: this long after `run` starts, the loop stops (wedges).
        public var wedgeAfter: Duration?
        /// Seeds the plan's jitter.
        public var seed: UInt64
        public var logger: Logger

        public init(transport: any HTTPTransport, wallClock: any WallClock, clock: C, deliver: @escaping @Sendable (Observation) -> Void,
                    nextProbeAt: @escaping @Sendable (Target, Timestamp, Double) -> Timestamp,
                    onFirstRound: @escaping @Sendable () -> Void = {}, onLateness: @escaping @Sendable (Target, Double) -> Void = { _, _ in },
                    executor: (any TaskExecutor)? = nil, wedgeAfter: Duration? = nil, seed: UInt64 = .random(in: .min ... .max), logger: Logger) {
            self.transport = transport
            self.wallClock = wallClock
            self.clock = clock
            self.deliver = deliver
            self.nextProbeAt = nextProbeAt
            self.onFirstRound = onFirstRound
            self.onLateness = onLateness
            self.executor = executor
            self.wedgeAfter = wedgeAfter
            self.seed = seed
            self.logger = logger
        }
    }

    private let dependencies: Dependencies
    private let limiter: ConcurrencyLimiter
    private let plan: Mutex<ProbePlan<C.Instant>>
    /// The probes in flight, by target, so a reload can cancel those of the targets it ends.
    private let inFlight = Mutex<[Target: InFlightProbe]>([:])
    /// Wakes the loop to step the plan; coalesced, so many wakes before a step make one.
    private let wakes: AsyncStream<Void>
    private let wakeUp: AsyncStream<Void>.Continuation
    /// The scheduler's promises of progress, per target, read by the watchdog.
    public let ledger: ScheduleLedger

    public init(targets: [ProbeTarget], maxConcurrentProbes: Int = 256, startSpreadSeconds: Double = 10, dependencies: Dependencies) {
        self.dependencies = dependencies
        ledger = ScheduleLedger()
        limiter = ConcurrencyLimiter(limit: maxConcurrentProbes)
        plan = Mutex(ProbePlan(targets: targets, seed: dependencies.seed, startSpreadSeconds: startSpreadSeconds,
                               now: dependencies.wallClock.now()))
        (wakes, wakeUp) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Each provider's probe budget today: spent, limit, and whether completion probes are paused.
    public func budgetStatus() -> [ProbeBudgetStatus] {
        let now = dependencies.wallClock.now()
        return plan.withLock { $0.budgets.statuses(at: now) }
    }

    /// Seeds what `provider`'s probes already spent on the UTC day of `day` (from the store, at start-up).
    public func restoreSpend(_ provider: ProviderID, spentUSD: Double, on day: Timestamp) {
        let now = dependencies.wallClock.now()
        plan.withLock { $0.restoreSpend(provider, spentUSD: spentUSD, on: day, now: now) }
    }

    /// Adopts a reloaded configuration: removed targets stop (a probe in flight is not delivered),
    /// added ones start within the start-up spread, changed ones restart with their new settings,
    /// and unchanged ones keep their cadence. Budgets keep today's spend.
    @discardableResult
    public func reconfigure(targets: [ProbeTarget]) -> ProbeTargetChange {
        let (now, wallTime) = (dependencies.clock.now, dependencies.wallClock.now())
        let (change, actions) = plan.withLock { $0.reconfigure(targets, at: now, wallTime: wallTime) }
        inFlight.withLock { probes in
            for target in change.removed + change.changed { probes[target]?.cancel() }
        }
        perform(actions)
        return change
    }

    /// Probes `target` as soon as a slot allows, instead of at its planned time (to confirm or
    /// refute what a client reported). Nothing happens when a probe of it is in flight already
    /// (its answer is as fresh) or it is not configured.
    public func probeNow(_ target: Target) {
        let now = dependencies.clock.now
        perform(plan.withLock { $0.probeSoon(target, at: now) })
    }

    /// Steps the plan until shutdown, starting every due probe as a child task; then cancels
    /// the probes in flight and the timers and waits for them.
    public func run() async throws {
        let clock = dependencies.clock
        perform(plan.withLock { $0.start(at: clock.now) })
        let wedge = dependencies.wedgeAfter.map { clock.now.advanced(by: $0) }
        await withTaskExecutorPreference(dependencies.executor) {
            await cancelWhenGracefulShutdown {
                await withDiscardingTaskGroup { group in await self.loop(&group, wedge: wedge) }
            }
        }
        perform(plan.withLock { $0.stop() })
    }

    private func loop(_ group: inout DiscardingTaskGroup, wedge: C.Instant?) async {
        let clock = dependencies.clock
        var wakes = self.wakes.makeAsyncIterator()
        while !Task.isCancelled {
            let now = clock.now
            if let wedge, now >= wedge {
                try? await clock.sleep(until: now.advanced(by: .seconds(365 * 86_400)), tolerance: nil)
                return
            }
            let wallTime = dependencies.wallClock.now()
            for action in plan.withLock({ $0.step(now: now, wallTime: wallTime) }) {
                switch action {
                case .launch(let launch):
                    group.addTask { await self.probe(launch) }
                case .sleep(until: let deadline):
                    group.addTask {
                        guard (try? await clock.sleep(until: deadline, tolerance: nil)) != nil else { return }
                        self.wakeUp.yield()
                    }
                default:
                    perform([action])
                }
            }
            guard await wakes.next() != nil else { return }
        }
    }

    /// Carries out what the plan said, apart from launches and timers (the loop's).
    private func perform(_ actions: [ProbeAction<C.Instant>]) {
        guard !actions.isEmpty else { return }
        let now = dependencies.clock.now
        for action in actions {
            switch action {
            case .promise(let target, by: let instant): ledger.promise(target, within: now.duration(to: instant))
            case .release(let target): ledger.release(target)
            case .firstRoundDone: dependencies.onFirstRound()
            case .wakeLoop: wakeUp.yield()
            case .launch, .sleep: break
            }
        }
    }

    /// Performs one probe, delivers its observation unless canceled or stale, and tells the plan.
    private func probe(_ launch: ProbeLaunch<C.Instant>) async {
        let target = launch.target
        let result = await cancelable(target.target, generation: launch.generation) { await measure(launch) }
        var delivered = false
        if let (result, startedAt) = result, !Task.isCancelled,
           plan.withLock({ $0.isCurrent(target.target, generation: launch.generation) }) {
            dependencies.deliver(result.observation(of: target.target, startedAt: startedAt))
            delivered = true
            if !result.outcome.isSuccess {
                dependencies.logger.debug("probe failed", metadata: [
                    "provider": "\(target.target.provider)", "model": "\(target.target.model)",
                    "outcome": "\(result.outcome.label)", "message": "\(result.message ?? "")",
                ])
            }
        }
        let wallTime = dependencies.wallClock.now()
        let next = dependencies.nextProbeAt(target.target, wallTime, target.settings.intervalSeconds) - wallTime
        let finished = FinishedProbe(target: target.target, generation: launch.generation, reservation: launch.reservation,
                                     costUSD: result?.0.costUSD, delivered: delivered, nextInSeconds: next)
        let now = dependencies.clock.now
        perform(plan.withLock { $0.finished(finished, now: now, wallTime: wallTime) })
    }

    /// Runs `body` with this task registered as the probe in flight of `target`, so that a reload
    /// ending the target can cancel it; unregistered before it returns.
    private func cancelable<T>(_ target: Target, generation: Int, _ body: () async -> T) async -> T {
        withUnsafeCurrentTask { task in
            guard let task else { return }
            inFlight.withLock { $0[target] = InFlightProbe(task: task, generation: generation) }
        }
        defer {
            inFlight.withLock { probes in if probes[target]?.generation == generation { probes[target] = nil } }
        }
        return await body()
    }

    /// Waits for a slot under both caps and runs the probe; nil when canceled while waiting.
    private func measure(_ launch: ProbeLaunch<C.Instant>) async -> (ProbeResult, Timestamp)? {
        let target = launch.target
        ledger.promise(target.target, within: .seconds(60))  // waiting for a slot under the caps
        if let providerLimiter = launch.providerLimiter { guard await providerLimiter.acquire() else { return nil } }
        defer { launch.providerLimiter?.release() }
        guard await limiter.acquire() else { return nil }
        defer { limiter.release() }
        ledger.promise(target.target, within: .seconds(target.settings.timeoutSeconds + 1))
        let late = launch.planned.duration(to: dependencies.clock.now)
        dependencies.onLateness(target.target, max(0, late / .seconds(1)))
        let startedAt = dependencies.wallClock.now()
        let result = await ProberTable.prober(for: target.kind).probe(target, using: dependencies.transport, now: startedAt)
        return (result, startedAt)
    }
}

/// A probe task in flight, to cancel when a reload ends its target. It holds the task's
/// `UnsafeCurrentTask`: safe because the task registers it and unregisters it under the
/// scheduler's `inFlight` lock before it ends, and it is canceled only under that lock.
private struct InFlightProbe: @unchecked Sendable {
    let task: UnsafeCurrentTask
    let generation: Int

    func cancel() { task.cancel() }
}
