import SwitchyardCore

/// The targets the scheduler probes and the task running each one's loop. Changed by
/// reloads; kept behind the scheduler's lock. A value: starting a loop is a closure.
public struct ProbeRoster: Sendable {
    /// What a reload changed, by target.
    public struct Change: Hashable, Sendable {
        public var added: [Target] = []
        public var removed: [Target] = []
        /// Kept, but with different probe settings, URL, key or price: their loops restarted.
        public var changed: [Target] = []
        public var unchanged: [Target] = []
    }

    struct Loop {
        var id: Int
        var task: Task<Void, Never>
    }

    private(set) var configured: [Target: ProbeTarget]
    private(set) var providerLimiters: [ProviderID: ConcurrencyLimiter]
    private var loops: [Target: Loop] = [:]
    /// Loops a reload canceled; shutdown still waits for them, so none outlives the scheduler.
    private var retired: [Task<Void, Never>] = []
    private var nextLoopID = 0
    private var running = false

    init(targets: [ProbeTarget]) {
        configured = Dictionary(targets.map { ($0.target, $0) }, uniquingKeysWith: { $1 })
        providerLimiters = ProbeRoster.limiters(for: targets, keeping: [:])
    }

    /// Starts every configured target's loop; false when there are none.
    mutating func start(_ launch: (ProbeTarget, Int) -> Task<Void, Never>) -> Bool {
        running = true
        for target in configured.values { spawn(target, launch) }
        return !configured.isEmpty
    }

    /// Forgets every loop and returns their tasks for the caller to cancel and await.
    mutating func stop() -> [Task<Void, Never>] {
        running = false
        defer {
            loops = [:]
            retired = []
        }
        return loops.values.map(\.task) + retired
    }

    mutating func reconfigure(_ targets: [ProbeTarget], _ launch: (ProbeTarget, Int) -> Task<Void, Never>) -> Change {
        let next = Dictionary(targets.map { ($0.target, $0) }, uniquingKeysWith: { $1 })
        var change = Change()
        for target in configured.keys where next[target] == nil {
            change.removed.append(target)
            retire(target)
        }
        providerLimiters = ProbeRoster.limiters(for: targets, keeping: providerLimiters)
        for (target, probeTarget) in next {
            switch configured[target] {
            case nil: change.added.append(target)
            case probeTarget: change.unchanged.append(target); continue
            default: change.changed.append(target)
            }
            retire(target)
            if running { spawn(probeTarget, launch) }
        }
        configured = next
        change.added.sort()
        change.removed.sort()
        change.changed.sort()
        change.unchanged.sort()
        return change
    }

    /// Whether another loop than `loop` now probes `target`.
    func isReplaced(_ target: Target, loop: Int) -> Bool {
        loops[target].map { $0.id != loop } ?? false
    }

    private mutating func retire(_ target: Target) {
        guard let loop = loops.removeValue(forKey: target) else { return }
        loop.task.cancel()
        retired.append(loop.task)
    }

    private mutating func spawn(_ target: ProbeTarget, _ launch: (ProbeTarget, Int) -> Task<Void, Never>) {
        nextLoopID += 1
        loops[target.target] = Loop(id: nextLoopID, task: launch(target, nextLoopID))
    }

    static func budgetLimits(_ targets: [ProbeTarget]) -> [ProviderID: Double?] {
        Dictionary(targets.map { ($0.target.provider, $0.budgetUSDPerDay) }, uniquingKeysWith: { first, _ in first })
    }

    /// One limiter per provider; a provider whose cap did not change keeps its limiter (and its holders).
    private static func limiters(for targets: [ProbeTarget], keeping current: [ProviderID: ConcurrencyLimiter]) -> [ProviderID: ConcurrencyLimiter] {
        var limiters: [ProviderID: ConcurrencyLimiter] = [:]
        for target in targets where limiters[target.target.provider] == nil {
            let provider = target.target.provider
            let limit = target.settings.maxConcurrentPerProvider
            limiters[provider] = current[provider].flatMap { $0.limit == limit ? $0 : nil } ?? ConcurrencyLimiter(limit: limit)
        }
        return limiters
    }
}
