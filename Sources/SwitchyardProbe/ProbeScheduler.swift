import Logging
import ServiceLifecycle
import SwitchyardCore

/// The daemon's scheduler: probes and their timers on the libcurl engine's thread.
public typealias ProbeScheduler = ClockedProbeScheduler<EngineClock>

/// Probes every target on its own schedule, as its `ProbePlan` decides: the plan holds the
/// queue, windows, generations, jitter, budgets and first round; this carries out what it
/// says. The scheduler is an actor on the libcurl engine's thread, so the plan is touched by
/// one thread at a time with no lock: the loop stepping it, a probe finishing, a reload, a
/// budget reading and a "probe now" each run there in turn. One loop steps the plan when a
/// timer set on the clock `C` fires or something changed; every probe and timer is a child
/// task of one discarding task group, so shutdown (graceful or canceled) cancels them all and
/// waits for them. Probes run under a global cap and a per-provider cap, so a hung or
/// dripping provider holds only its own slots. A reload cancels the probes in flight of the
/// targets it removes or changes (by generation), and a probe of a generation a reload ended
/// is not delivered.
public actor ClockedProbeScheduler<C: Clock>: Service where C.Duration == Duration, C.Instant: Sendable {
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
        /// The engine whose thread the scheduler lives on (its serial executor) and its probes
        /// prefer (its task executor), so that the plan, a probe, its transfer and its timer
        /// share one thread and the plan needs no lock.
        public var executor: CurlEngine
        /// Fault injection for the watchdog test: this long after `run` starts, the loop stops (wedges).
        public var wedgeAfter: Duration?
        /// Seeds the plan's jitter.
        public var seed: UInt64
        public var logger: Logger
        /// In a fleet: who runs each paid completion probe (nil: this host alone).
        public var duty: (any ProbeDuty)?

        public init(transport: any HTTPTransport, wallClock: any WallClock, clock: C, deliver: @escaping @Sendable (Observation) -> Void,
                    nextProbeAt: @escaping @Sendable (Target, Timestamp, Double) -> Timestamp,
                    onFirstRound: @escaping @Sendable () -> Void = {}, onLateness: @escaping @Sendable (Target, Double) -> Void = { _, _ in },
                    executor: CurlEngine, wedgeAfter: Duration? = nil, seed: UInt64 = .random(in: .min ... .max), logger: Logger,
                    duty: (any ProbeDuty)? = nil) {
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
            self.duty = duty
        }
    }

    private let dependencies: Dependencies
    private let limiter: ConcurrencyLimiter
    private let engine: CurlEngine
    /// The schedule; only this actor touches it.
    private var plan: ProbePlan<C.Instant>
    /// The probes in flight, by target, so a reload can cancel those of the targets it ends.
    private var inFlight: [Target: InFlightProbe] = [:]
    /// The loop waiting for a timer or a change, and whether one came while it was busy.
    private var waitingLoop: UnsafeContinuation<Void, Never>?
    private var wakePending = false
    /// The scheduler's promises of progress, per target, read by the watchdog.
    public nonisolated let ledger: ScheduleLedger
    /// Model-list fetches shared by liveness probes of the same list and key (router targets).
    public nonisolated let modelLists: ModelListSharing<C.Instant>

    /// The engine's thread: the actor's jobs run there, between libcurl's calls, one at a time.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { engine.serialExecutor.asUnownedSerialExecutor() }

    /// `spentToday` seeds what each provider's probes already spent today (from the store, at start-up).
    public init(targets: [ProbeTarget], maxConcurrentProbes: Int = 256, startSpreadSeconds: Double = 10,
                spentToday: [ProviderID: Double] = [:], dependencies: Dependencies) {
        self.dependencies = dependencies
        engine = dependencies.executor
        ledger = ScheduleLedger()
        let clock = dependencies.clock
        modelLists = ModelListSharing(now: { clock.now })
        limiter = ConcurrencyLimiter(limit: maxConcurrentProbes)
        let today = dependencies.wallClock.now()
        var plan = ProbePlan<C.Instant>(targets: targets, seed: dependencies.seed, startSpreadSeconds: startSpreadSeconds, now: today)
        for (provider, spent) in spentToday { plan.restoreSpend(provider, spentUSD: spent, on: today, now: today) }
        plan.claimsDuty = dependencies.duty != nil
        self.plan = plan
    }

    /// Each provider's probe budget today: spent, limit, and whether completion probes are paused.
    public func budgetStatus() -> [ProbeBudgetStatus] {
        plan.budgets.statuses(at: dependencies.wallClock.now())
    }

    /// Seeds what `provider`'s probes already spent on the UTC day of `day`.
    public func restoreSpend(_ provider: ProviderID, spentUSD: Double, on day: Timestamp) {
        plan.restoreSpend(provider, spentUSD: spentUSD, on: day, now: dependencies.wallClock.now())
    }

    /// Adopts a reloaded configuration: removed targets stop (a probe in flight is not delivered),
    /// added ones start within the start-up spread, changed ones restart with their new settings,
    /// and unchanged ones keep their cadence. Budgets keep today's spend.
    @discardableResult
    public func reconfigure(targets: [ProbeTarget]) -> ProbeTargetChange {
        let (change, actions) = plan.reconfigure(targets, at: dependencies.clock.now, wallTime: dependencies.wallClock.now())
        for target in change.removed + change.changed { inFlight[target]?.cancel() }
        perform(actions)
        return change
    }

    /// Probes `target` as soon as a slot allows, instead of at its planned time (to confirm or
    /// refute what a client reported); from any thread, without waiting (`probeSoon` runs on
    /// the scheduler's thread). Nothing happens when it is not configured.
    public nonisolated func probeNow(_ target: Target) {
        Task { await self.probeSoon(target) }
    }

    /// `probeNow`, on the scheduler's thread.
    public func probeSoon(_ target: Target) {
        perform(plan.probeSoon(target, at: dependencies.clock.now))
    }

    /// Steps the plan until shutdown, starting every due probe as a child task; then cancels
    /// the probes in flight and the timers and waits for them. Specialized for the daemon's
    /// clock: called from another module, the generic code would look up the plan's and the
    /// actions' type metadata at run time on every step and probe (callgrind: about a fifth of
    /// the instructions per probe).
    @_specialize(exported: true, where C == EngineClock)
    public func run() async throws {
        let clock = dependencies.clock
        perform(plan.start(at: clock.now))
        let wedge = dependencies.wedgeAfter.map { clock.now.advanced(by: $0) }
        await withTaskExecutorPreference(engine) {
            await cancelWhenGracefulShutdown { await self.runLoop(wedge: wedge) }
        }
        perform(plan.stop())
    }

    @_specialize(where C == EngineClock)
    private func runLoop(wedge: C.Instant?) async {
        await withDiscardingTaskGroup { group in await loop(&group, wedge: wedge) }
    }

    @_specialize(where C == EngineClock)
    private func loop(_ group: inout DiscardingTaskGroup, wedge: C.Instant?) async {
        let clock = dependencies.clock
        while !Task.isCancelled {
            let now = clock.now
            if let wedge, now >= wedge {
                try? await clock.sleep(until: now.advanced(by: .seconds(365 * 86_400)), tolerance: nil)
                return
            }
            for action in plan.step(now: now, wallTime: dependencies.wallClock.now()) {
                switch action {
                case .launch(let launch):
                    // Started here, on the actor, until it first waits: it registers as the target's
                    // probe in flight and steps off to measure without a hand-over through the engine's queue.
                    group.addImmediateTask(executorPreference: engine) { await self.probe(launch) }
                case .sleep(until: let deadline):
                    group.addTask {
                        guard (try? await clock.sleep(until: deadline, tolerance: nil)) != nil else { return }
                        await self.wake()
                    }
                default:
                    perform([action])
                }
            }
            await nextWake()
        }
    }

    /// Waits until a timer fires, something changed, or the run is canceled.
    @_specialize(where C == EngineClock)
    private func nextWake() async {
        await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                if wakePending || Task.isCancelled {
                    wakePending = false
                    continuation.resume()
                } else {
                    waitingLoop = continuation
                }
            }
        } onCancel: {
            Task { await self.wake() }
        }
    }

    /// Wakes the loop to step the plan; many wakes before it steps make one.
    @_specialize(where C == EngineClock)
    private func wake() {
        if let waitingLoop {
            self.waitingLoop = nil
            waitingLoop.resume()
        } else {
            wakePending = true
        }
    }

    /// Carries out what the plan said, apart from launches and timers (the loop's).
    @_specialize(where C == EngineClock)
    private func perform(_ actions: [ProbeAction<C.Instant>]) {
        guard !actions.isEmpty else { return }
        let now = dependencies.clock.now
        for action in actions {
            switch action {
            case .promise(let target, by: let instant): ledger.promise(target, within: now.duration(to: instant))
            case .release(let target): ledger.release(target)
            case .firstRoundDone: dependencies.onFirstRound()
            case .wakeLoop: wake()
            case .launch, .sleep: break
            }
        }
    }

    /// Performs one probe (registered as the target's probe in flight, so that a reload ending
    /// the target can cancel it), delivers its observation unless canceled or stale, and tells the plan.
    @_specialize(where C == EngineClock)
    private func probe(_ launch: ProbeLaunch<C.Instant>) async {
        withUnsafeCurrentTask { task in
            if let task { inFlight[launch.target.target] = InFlightProbe(task: task, generation: launch.generation) }
        }
        var launch = launch
        if let claim = launch.duty, let duty = dependencies.duty {
            ledger.promise(launch.target.target, within: .seconds(10))  // the claim is bounded well within this
            launch = plan.applyDuty(await duty.claim(claim), to: launch, wallTime: dependencies.wallClock.now())
        }
        let target = launch.target
        let result = await measure(launch)
        if let claim = launch.duty, let duty = dependencies.duty { await duty.settle(claim, costUSD: result?.0.costUSD) }
        if inFlight[target.target]?.generation == launch.generation { inFlight[target.target] = nil }
        var delivered = false
        if let (result, startedAt) = result, !Task.isCancelled, plan.isCurrent(target.target, generation: launch.generation) {
            var observation = result.observation(of: target.target, startedAt: startedAt)
            observation.completionProbe = target.settings.mode == .completion  // liveness when the fleet's slot went to a peer
            dependencies.deliver(observation)
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
                                     costUSD: result?.0.costUSD, delivered: delivered, nextInSeconds: next,
                                     budgetProvider: target.budgetProvider)
        perform(plan.finished(finished, now: dependencies.clock.now, wallTime: wallTime))
    }

    /// Waits for a slot under both caps and runs the probe, off the actor (on the engine as a
    /// task executor, so it holds up no plan change while it waits); nil when canceled while waiting.
    @_specialize(where C == EngineClock)
    private nonisolated func measure(_ launch: ProbeLaunch<C.Instant>) async -> (ProbeResult, Timestamp)? {
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
        let result = await ProberTable.prober(for: target.kind, task: target.task, modelLists: launch.outOfTurn ? nil : ModelListReader(modelLists))
            .probe(target, using: dependencies.transport, now: startedAt)
        return (result, startedAt)
    }
}

/// A probe task in flight, to cancel when a reload ends its target. It holds the task's
/// `UnsafeCurrentTask`: safe because the task registers and unregisters it on the scheduler's
/// actor before it ends, and it is canceled only there.
private struct InFlightProbe: @unchecked Sendable {
    let task: UnsafeCurrentTask
    let generation: Int

    func cancel() { task.cancel() }
}
