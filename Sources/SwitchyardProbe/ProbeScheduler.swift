import Logging
import ServiceLifecycle
import Synchronization
import SwitchyardCore

/// Probes every target on its own schedule: the interval with jitter (spread over the
/// first interval at start-up so nothing herds), backing off while it fails and waiting
/// out `Retry-After`. One loop sleeps until the next probe is due (`ProbeRoster`'s queue); each
/// probe may start within a small window after its earliest instant (`ProbeRoster.leeway(for:)`),
/// so probes close together share wake-ups. Probes run under a global cap and a per-provider
/// cap, so a hung or dripping provider holds only its own slots and every other target keeps its cadence.
/// Completion probes of a provider stop when its daily probe budget is spent; free
/// liveness probes continue.
public final class ProbeScheduler: Service {
    public struct Dependencies: Sendable {
        public var transport: any HTTPTransport
        public var clock: any WallClock
        /// Receives every probe's observation (health, store, metrics fan-out).
        public var deliver: @Sendable (Observation) -> Void
        /// Called once when every target has been probed at least once.
        public var onFirstRound: @Sendable () -> Void
        /// When a target's next probe is due, given when its last one finished and its interval:
        /// the health book's answer (half-open probe time, Retry-After, quick confirmation of a
        /// failure). Without one, a `ProbeBackoff` per target spaces the probes.
        public var nextProbeAt: (@Sendable (Target, Timestamp, Double) -> Timestamp)?
        /// Fault injection for the watchdog test: from this instant on, every loop stops (wedges).
        public var wedgeAt: ContinuousClock.Instant?
        /// Receives each probe's full result (for benchmarks and diagnostics); optional.
        public var onResult: @Sendable (ProbeTarget, ProbeResult) -> Void
        /// Receives how late each probe started against its plan, in seconds.
        public var onLateness: @Sendable (Target, Double) -> Void
        /// Where the scheduler loop and the probes run and the loop sleeps: the `CurlEngine`, so
        /// that a probe, its transfer and its timer share a thread; nil uses the global executor.
        public var executor: (any ProbeExecutor)?
        public var logger: Logger

        public init(transport: any HTTPTransport, clock: any WallClock, deliver: @escaping @Sendable (Observation) -> Void,
                    onFirstRound: @escaping @Sendable () -> Void = {}, onResult: @escaping @Sendable (ProbeTarget, ProbeResult) -> Void = { _, _ in },
                    onLateness: @escaping @Sendable (Target, Double) -> Void = { _, _ in },
                    nextProbeAt: (@Sendable (Target, Timestamp, Double) -> Timestamp)? = nil,
                    executor: (any ProbeExecutor)? = nil, logger: Logger, wedgeAt: ContinuousClock.Instant? = nil) {
            self.transport = transport
            self.clock = clock
            self.deliver = deliver
            self.onFirstRound = onFirstRound
            self.onResult = onResult
            self.onLateness = onLateness
            self.nextProbeAt = nextProbeAt
            self.executor = executor
            self.wedgeAt = wedgeAt
            self.logger = logger
        }
    }

    private let dependencies: Dependencies
    private let limiter: ConcurrencyLimiter
    private let roster: Mutex<ProbeRoster>
    private let alarm: ProbeAlarm
    private let budgets: ProbeBudgetBook
    private let unprobed: Mutex<Set<Target>>
    /// Set once every target has been probed, so later probes skip `unprobed`.
    private let firstRoundDone = Atomic<Bool>(false)
    /// The jitter's generator, seeded once: drawing from the system's generator costs a system call each time.
    private let jitter = Mutex(SplitMix64(seed: UInt64.random(in: .min ... .max)))
    /// Longest start-up spread: the first probes land within this many seconds.
    private let startSpreadSeconds: Double
    /// The scheduler's promises of progress, per target, read by the watchdog.
    public let ledger: ScheduleLedger

    public init(targets: [ProbeTarget], maxConcurrentProbes: Int = 256, startSpreadSeconds: Double = 10, dependencies: Dependencies) {
        let ledger = ScheduleLedger()
        self.ledger = ledger
        self.dependencies = dependencies
        self.alarm = ProbeAlarm(executor: dependencies.executor)
        self.limiter = ConcurrencyLimiter(limit: maxConcurrentProbes)
        self.roster = Mutex(ProbeRoster(targets: targets, ledger: ledger))
        self.budgets = ProbeBudgetBook(limits: ProbeRoster.budgetLimits(targets), now: dependencies.clock.now())
        self.unprobed = Mutex(Set(targets.map(\.target)))
        self.startSpreadSeconds = startSpreadSeconds
    }

    /// Each provider's probe budget today: spent, limit, and whether completion probes are paused.
    public func budgetStatus() -> [ProbeBudgetStatus] { budgets.statuses(at: dependencies.clock.now()) }

    /// Seeds what `provider`'s probes already spent on the UTC day of `day` (from the store, at start-up).
    public func restoreSpend(_ provider: ProviderID, spentUSD: Double, on day: Timestamp) {
        budgets.restore(provider, spentUSD: spentUSD, on: day, now: dependencies.clock.now())
    }

    /// Adopts a reloaded configuration: removed targets stop (an in-flight probe is canceled and
    /// not delivered), added ones start within the start-up spread, changed ones restart with
    /// their new settings, and unchanged ones keep their cadence. Budgets keep today's spend.
    @discardableResult
    public func reconfigure(targets: [ProbeTarget]) -> ProbeRoster.Change {
        budgets.setLimits(ProbeRoster.budgetLimits(targets), now: dependencies.clock.now())
        let change = roster.withLock { $0.reconfigure(targets, at: .now, firstDelay: firstDelay) }
        alarm.ring(for: .now)  // new first probes may come before the loop's next wake-up
        let lastOfTheRoundRemoved = unprobed.withLock { pending -> Bool in
            let wasPending = !pending.isEmpty
            pending.subtract(change.removed)
            return wasPending && pending.isEmpty
        }
        if lastOfTheRoundRemoved { finishFirstRound() }
        return change
    }

    /// Probes `target` as soon as a slot allows, instead of at its planned time (to confirm or
    /// refute what a client reported). Nothing happens when a probe of it is in flight already
    /// (its answer is as fresh) or it is not configured.
    public func probeNow(_ target: Target) {
        guard let wake = roster.withLock({ $0.probeSoon(target, at: .now) }) else { return }
        alarm.ring(for: wake)
    }

    /// One loop for every target: sleeps until the next probe is due and starts every due
    /// probe as a task of its own, which queues the target's next probe when it ends.
    /// Shutdown (graceful or canceled) stops the loop, cancels the probes in flight and waits for them.
    public func run() async throws {
        let anyTargets = roster.withLock { $0.start(at: .now, firstDelay: firstDelay) }
        if !anyTargets { finishFirstRound() }
        await withTaskExecutorPreference(dependencies.executor) {
            await cancelWhenGracefulShutdown { await self.startDueProbes() }
        }
        let probes = roster.withLock { $0.stop() }
        for probe in probes { probe.cancel() }
        for probe in probes { await probe.value }
    }

    private func startDueProbes() async {
        while !Task.isCancelled {
            let now = ContinuousClock.now
            if let wedgeAt = dependencies.wedgeAt, now >= wedgeAt {
                try? await Task.sleep(for: .seconds(365 * 86_400))
                return
            }
            // Every probe whose window has opened starts now, together; the loop wakes next at the
            // end of the earliest window still closed (or when a finished probe queues an earlier one).
            let next = roster.withLock { $0.launchDue(at: now, launch) }
            await alarm.sleep(until: next)
        }
    }

    /// The first probe of a target (at start, or added by a reload) comes within the start-up spread.
    private func firstDelay(_ target: ProbeTarget) -> Duration {
        let spread = max(0, min(target.settings.intervalSeconds, startSpreadSeconds))
        return .seconds(random(in: 0...spread))
    }

    /// A uniformly random number in `range` from the scheduler's generator.
    private func random(in range: ClosedRange<Double>) -> Double {
        jitter.withLock { Double.random(in: range, using: &$0) }
    }

    /// Every target has been probed once (or there are none): tells the wiring, once.
    private func finishFirstRound() {
        guard firstRoundDone.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        dependencies.onFirstRound()
    }

    private func launch(_ due: ProbeRoster.Due) -> Task<Void, Never> {
        Task(executorPreference: dependencies.executor) { [self] in
            let target = due.target
            let result = await probeOnce(target, planned: due.planned, providerLimiter: due.providerLimiter)
            let interval = target.settings.intervalSeconds
            // The health book's answer, asked outside the roster's lock. Up to 10% later, never
            // earlier: a half-open probe must not come before the ejection ends.
            let decided: Double? = dependencies.nextProbeAt.map { nextProbeAt in
                let now = dependencies.clock.now()
                return max(nextProbeAt(target.target, now, interval) - now, 0) * random(in: 1.0...1.1)
            }
            // Drawn here, so the roster's lock is never held while taking the generator's.
            let jitter = decided == nil ? random(in: 0.9...1.1) : 1
            let next = roster.withLock { roster in
                roster.finished(target.target, generation: due.generation) { backoff in
                    let delay = decided ?? backoff.delay(after: result?.outcome ?? .failure(.canceled), retryAfterSeconds: result?.retryAfterSeconds,
                                                         jitter: jitter)
                    // Planned from the end of this probe: a slow probe never queues a backlog.
                    return ContinuousClock.now + .seconds(delay)
                }
            }
            if let next { alarm.ring(for: next) }
        }
    }

    /// Performs one probe of one target and delivers its observation; nil when canceled by shutdown.
    private func probeOnce(_ target: ProbeTarget, planned: ContinuousClock.Instant, providerLimiter: ConcurrencyLimiter?) async -> ProbeResult? {
        let provider = target.target.provider
        ledger.promise(target.target, within: .seconds(60))  // waiting for a slot under the caps
        if let providerLimiter { guard await providerLimiter.acquire() else { return nil } }
        defer { providerLimiter?.release() }
        guard await limiter.acquire() else { return nil }
        defer { limiter.release() }
        ledger.promise(target.target, within: .seconds(target.settings.timeoutSeconds + 1))
        dependencies.onLateness(target.target, max(0, (ContinuousClock.now - planned) / .seconds(1)))

        let startedAt = dependencies.clock.now()
        var effective = target
        // Reserved before launch, so probes of one provider started together cannot overshoot its budget.
        var reservation: ProbeBudget.Reservation?
        if target.settings.mode == .completion {
            reservation = budgets.reserveCompletion(provider, estimateUSD: Self.estimatedCost(of: target), at: startedAt)
            if reservation == nil { effective.settings.mode = .liveness }
        }
        let result = await ProberTable.prober(for: target.kind).probe(effective, using: dependencies.transport, now: startedAt)
        // What a probe cost counts against the budget even when it is not delivered.
        if let reservation {
            budgets.settle(provider, reservation, costUSD: result.costUSD, at: dependencies.clock.now())
        } else if let cost = result.costUSD {
            budgets.record(provider, costUSD: cost, at: dependencies.clock.now())
        }
        // Canceled (shutdown, or a reload removed or changed the target): what it saw is not delivered.
        if Task.isCancelled { return nil }
        dependencies.onResult(effective, result)
        dependencies.deliver(result.observation(of: target.target, startedAt: startedAt))
        if !result.outcome.isSuccess {
            dependencies.logger.debug("probe failed", metadata: [
                "provider": "\(provider)", "model": "\(target.target.model)",
                "outcome": "\(result.outcome.label)", "message": "\(result.message ?? "")",
            ])
        }
        if !firstRoundDone.load(ordering: .acquiring) {
            let lastOfTheRound = unprobed.withLock { pending -> Bool in
                guard pending.remove(target.target) != nil else { return false }
                return pending.isEmpty
            }
            if lastOfTheRound { finishFirstRound() }
        }
        return result
    }

    /// What a completion probe of `target` may cost at most, from its price: `max_tokens` out, a short
    /// prompt in, the whole timeout for a per-second price. The dearest probe seen raises it (`ProbeBudget`).
    static func estimatedCost(of target: ProbeTarget) -> Double {
        target.price?.cost(tokensIn: 64, tokensOut: target.settings.maxTokens, seconds: target.settings.timeoutSeconds) ?? 0
    }
}
