import Logging
import ServiceLifecycle
import Synchronization
import SwitchyardCore

/// Probes every target on its own interval, with jitter so that start-up and reloads
/// do not herd, under a global concurrency cap. A slow or hung provider holds only its
/// own loop: every other target keeps its schedule.
public final class ProbeScheduler: Service {
    public struct Dependencies: Sendable {
        public var transport: any HTTPTransport
        public var clock: any WallClock
        /// Receives every probe's observation (health, store, metrics fan-out).
        public var deliver: @Sendable (Observation) -> Void
        /// Fault injection for the watchdog test: from this instant on, every loop stops (wedges).
        public var wedgeAt: ContinuousClock.Instant?
        /// Called once when every target has been probed at least once.
        public var onFirstRound: @Sendable () -> Void
        /// When a target's next probe is due, given when its last one finished and its interval
        /// (the health book's answer: half-open probe time, Retry-After, quick confirmation).
        public var nextProbeAt: @Sendable (Target, Timestamp, Double) -> Timestamp
        public var logger: Logger

        public init(transport: any HTTPTransport, clock: any WallClock, deliver: @escaping @Sendable (Observation) -> Void,
                    onFirstRound: @escaping @Sendable () -> Void = {},
                    nextProbeAt: @escaping @Sendable (Target, Timestamp, Double) -> Timestamp = { _, now, interval in now + interval },
                    logger: Logger, wedgeAt: ContinuousClock.Instant? = nil) {
            self.transport = transport
            self.clock = clock
            self.deliver = deliver
            self.onFirstRound = onFirstRound
            self.nextProbeAt = nextProbeAt
            self.logger = logger
            self.wedgeAt = wedgeAt
        }
    }

    private let targets: [ProbeTarget]
    private let dependencies: Dependencies
    /// Each loop's promise of progress, read by the watchdog.
    public let ledger = ScheduleLedger()
    private let limiter: ConcurrencyLimiter
    private let unprobed: Mutex<Set<Target>>

    public init(targets: [ProbeTarget], maxConcurrentProbes: Int = 256, dependencies: Dependencies) {
        self.targets = targets
        self.dependencies = dependencies
        self.limiter = ConcurrencyLimiter(limit: maxConcurrentProbes)
        self.unprobed = Mutex(Set(targets.map(\.target)))
    }

    public func run() async throws {
        if targets.isEmpty {
            dependencies.onFirstRound()
            try? await gracefulShutdown()  // a service that returns would end the whole group
            return
        }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for target in self.targets {
                    group.addTask { await self.loop(target) }
                }
            }
        }
    }

    private func loop(_ target: ProbeTarget) async {
        let interval = target.settings.intervalSeconds
        defer { ledger.release(target.target) }
        // Spread the first probes over the first interval (capped so start-up stays quick).
        var delay = Double.random(in: 0..<min(interval, 1))
        while !Task.isCancelled {
            ledger.promise(target.target, within: .seconds(delay))
            do { try await Task.sleep(for: .seconds(delay)) } catch { return }
            if let wedgeAt = dependencies.wedgeAt, ContinuousClock.now >= wedgeAt {
                try? await Task.sleep(for: .seconds(365 * 86_400))
                return
            }
            await probeOnce(target)
            let now = dependencies.clock.now()
            let due = dependencies.nextProbeAt(target.target, now, interval)
            // Up to 10% later, never earlier: a half-open probe must not come before the ejection ends.
            delay = max(due - now, 0) * Double.random(in: 1.0...1.1)
        }
    }

    /// Performs one probe of one target and delivers its observation.
    public func probeOnce(_ target: ProbeTarget) async {
        ledger.promise(target.target, within: .seconds(60))  // waiting for a slot under the global cap
        guard await limiter.acquire() else { return }
        defer { limiter.release() }
        ledger.promise(target.target, within: .seconds(target.settings.timeoutSeconds + 1))
        let startedAt = dependencies.clock.now()
        let prober = ProberTable.prober(for: target.kind)
        let result = await prober.probe(target, using: dependencies.transport, now: startedAt)
        if result.outcome == .failure(.canceled), Task.isCancelled { return }
        dependencies.deliver(result.observation(of: target.target, startedAt: startedAt))
        if !result.outcome.isSuccess {
            dependencies.logger.debug("probe failed", metadata: [
                "provider": "\(target.target.provider)", "model": "\(target.target.model)",
                "outcome": "\(result.outcome.label)", "message": "\(result.message ?? "")",
            ])
        }
        let firstRoundDone = unprobed.withLock { pending -> Bool in
            guard pending.remove(target.target) != nil else { return false }
            return pending.isEmpty
        }
        if firstRoundDone { dependencies.onFirstRound() }
    }
}

/// An async counting semaphore: at most `limit` holders at once, waiters served in order.
final class ConcurrencyLimiter: Sendable {
    private struct State {
        var available: Int
        var waiters: [(id: Int, continuation: CheckedContinuation<Bool, Never>)] = []
        var nextID = 0
    }

    private let state: Mutex<State>

    init(limit: Int) { state = Mutex(State(available: max(limit, 1))) }

    /// Waits for a slot; false when the task was canceled while waiting.
    func acquire() async -> Bool {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let granted = state.withLock { state -> Bool in
                    if state.available > 0 {
                        state.available -= 1
                        return true
                    }
                    state.waiters.append((id, continuation))
                    return false
                }
                if granted { continuation.resume(returning: true) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(returning: false)
        }
    }

    func release() {
        let next = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            if state.waiters.isEmpty {
                state.available += 1
                return nil
            }
            return state.waiters.removeFirst().continuation
        }
        next?.resume(returning: true)
    }
}
