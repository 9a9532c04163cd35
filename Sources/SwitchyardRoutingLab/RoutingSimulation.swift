import SwitchyardCore

/// What one scenario measured.
public struct SimulationResult: Hashable, Sendable {
    public var scenario: String
    public var requests = 0
    /// Requests whose every attempt failed: what a client with failover would have seen fail.
    public var failedRequests = 0
    /// Requests whose first attempt failed (absorbed by failover, but it cost time).
    public var firstAttemptFailures = 0
    /// Seconds from the start of the trouble until the troubled provider left the top of the route.
    public var timeToLeaveTop: Double?
    /// Seconds from the end of the trouble until the troubled provider was routable again.
    public var timeToRecover: Double?
    /// How often the top pick changed.
    public var topPickChanges = 0
    /// Expected time to success of our choices over the oracle's, minus one.
    public var regret = 0.0
    /// Requests answered in panic mode, and whether every panic answer still listed candidates.
    public var panicRoutes = 0
    public var panicAlwaysListed = true
    /// When every provider first had as many local samples as a catalog prior weighs
    /// (`ScoringPolicy.catalogPriorWeight`): from then on no prior has a say.
    public var evidenceAt: Double?
    /// Regret of the requests before and after `splitAt` (the simulation's split, else `evidenceAt`).
    public var regretBeforeEvidence = 0.0
    public var regretAfterEvidence = 0.0
    /// USD the successful attempts cost at the configured prices (a typical request of the task each).
    public var spentUSD = 0.0
    /// Requests that got an answer (from any candidate).
    public var answeredRequests = 0
    /// Mean expected seconds to a success of the orders we chose (the oracle's measure).
    public var meanExpectedSeconds = 0.0
    /// The last route answered: its order, reasons and prices as a client saw them at the end.
    public var lastRoute: Route?
}

/// Runs a scenario on a simulated clock: probes on the daemon's own schedule, client
/// requests routed through a real `HealthBook`, tried with failover and reported back,
/// and an oracle that knows the true behaviour. Deterministic for a given seed.
public struct RoutingSimulation: Sendable {
    public var scenario: Scenario
    public var seed: UInt64
    /// Whether the providers' published figures reach the router (false: the same run without a catalog).
    public var priors: Bool
    /// Where the before/after-evidence regret is split; nil: this run's own `evidenceAt`. Set it to
    /// another run's `evidenceAt` to compare two runs over the same periods.
    public var splitAt: Double?
    /// The router's scoring settings (the catalog prior's weight among them).
    public var scoring: ScoringPolicy

    public init(scenario: Scenario, seed: UInt64 = 42, priors: Bool = true, splitAt: Double? = nil, scoring: ScoringPolicy = ScoringPolicy()) {
        self.scenario = scenario
        self.seed = seed
        self.priors = priors
        self.splitAt = splitAt
        self.scoring = scoring
    }

    private static let model = ModelName("model")
    private static let epoch = Timestamp(secondsSinceEpoch: 1_800_000_000)

    public func run() -> SimulationResult {
        var random = SplitMix64(seed: seed)
        let providers = scenario.providers
        let book = HealthBook(descriptors: descriptors(at: 0), scoring: scoring, now: Self.epoch)
        var result = SimulationResult(scenario: scenario.name)
        var nextProbe = providers.indices.map { index in Double(index) * scenario.probeInterval / Double(max(providers.count, 1)) }
        var nextRequest = 0.0
        var pricesChanged = false
        var lastTop: String?
        var ours = 0.0
        var oracle = 0.0
        // Per request: (time, ours, oracle), split into before and after local evidence at the end.
        var costs: [(t: Double, ours: Double, oracle: Double)] = []
        let evidenceSamples = max(scoring.catalogPriorWeight, 1)

        while true {
            let probeIndex = nextProbe.indices.min { nextProbe[$0] < nextProbe[$1] }!
            let t = min(nextProbe[probeIndex], nextRequest)
            guard t <= scenario.duration else { break }
            let now = Self.epoch + t
            if !pricesChanged, let change = providers.compactMap(\.priceChange).first, t >= change.at {
                book.reconfigure(descriptors: descriptors(at: t), now: now)
                pricesChanged = true
            }
            if nextProbe[probeIndex] <= nextRequest {
                let provider = providers[probeIndex]
                let observation = attempt(provider, at: t, source: .probe, random: &random)
                book.observe(observation)
                nextProbe[probeIndex] = book.nextProbe(of: target(provider.name), after: observation.finishedAt, interval: scenario.probeInterval) - Self.epoch
                continue
            }
            nextRequest += 1 / scenario.requestsPerSecond
            guard case .route(let route) = book.route(RouteQuery(model: Self.model, strategy: scenario.strategy, task: scenario.task), now: now) else { continue }
            result.requests += 1
            result.lastRoute = route
            if route.panic {
                result.panicRoutes += 1
                if route.candidates.isEmpty { result.panicAlwaysListed = false }
            }
            if result.evidenceAt == nil, book.snapshots().allSatisfy({ $0.stats.total.count >= evidenceSamples }) { result.evidenceAt = t }
            let order = route.candidates.map(\.provider.rawValue)
            track(order: order, route: route, at: t, book: book, result: &result, lastTop: &lastTop)
            // Try candidates in order until one succeeds, reporting each outcome.
            var failedAll = true
            for (position, name) in order.enumerated() {
                let provider = providers.first { $0.name == name }!
                let observation = attempt(provider, at: t, source: .report, random: &random)
                // As the daemon does: reports one caller alone sends wait for a probe, started at once.
                if scenario.reportsFlow, book.apply(observation).probeNow, let index = providers.firstIndex(where: { $0.name == name }) {
                    nextProbe[index] = min(nextProbe[index], t)
                }
                if observation.outcome.isSuccess {
                    failedAll = false
                    result.answeredRequests += 1
                    if let price = provider.price(at: t) {
                        result.spentUSD += TypicalRequest.of(scenario.task, policy: scoring).cost(at: price, seconds: observation.totalSeconds)
                    }
                    break
                }
                if position == 0 { result.firstAttemptFailures += 1 }
            }
            if failedAll { result.failedRequests += 1 }
            let truths = providers.map { ($0.name, $0.behavior(t)) }
            let best = expectedTime(order: truths.sorted { $0.1.expectedTimeToSuccess < $1.1.expectedTimeToSuccess }.map(\.1))
            if best.isFinite {
                let chosen = expectedTime(order: order.compactMap { name in truths.first { $0.0 == name }?.1 })
                oracle += best
                ours += chosen
                costs.append((t, chosen, best))
            }
        }
        result.regret = oracle > 0 ? ours / oracle - 1 : 0
        result.meanExpectedSeconds = costs.isEmpty ? 0 : ours / Double(costs.count)
        let split = splitAt ?? result.evidenceAt ?? scenario.duration
        result.regretBeforeEvidence = Self.regret(costs.filter { $0.t < split })
        result.regretAfterEvidence = Self.regret(costs.filter { $0.t >= split })
        return result
    }

    /// Records top-pick changes and the moments the troubled provider leaves and regains its place.
    private func track(order: [String], route: Route, at t: Double, book: HealthBook, result: inout SimulationResult, lastTop: inout String?) {
        if let top = order.first, let previous = lastTop, top != previous { result.topPickChanges += 1 }
        lastTop = order.first ?? lastTop
        guard let troubled = scenario.troubled, let start = scenario.troubleStart, t >= start else { return }
        if result.timeToLeaveTop == nil, order.first != troubled { result.timeToLeaveTop = t - start }
        if let end = scenario.troubleEnd, t >= end, result.timeToRecover == nil,
           route.candidates.contains(where: { $0.provider.rawValue == troubled && $0.state.isRoutable }) {
            result.timeToRecover = t - end
        }
    }

    /// One request or probe to a provider at simulated time `t`, drawn from its true behaviour.
    private func attempt(_ provider: ScriptedProvider, at t: Double, source: ObservationSource, random: inout SplitMix64) -> Observation {
        let truth = provider.behavior(t)
        let fails = Double.random(in: 0..<1, using: &random) < truth.failureProbability
        let jitter = Double.random(in: scenario.jitter, using: &random)
        let retryAt = truth.retryAfterSeconds.map { Self.epoch + t + $0 }
        let text = scenario.task.generatesText
        var observation = Observation(
            target: target(provider.name), source: source, startedAt: Self.epoch + t,
            outcome: fails ? .failure(truth.failureClass) : .ok,
            totalSeconds: (fails ? truth.failureLatency : truth.latency) * jitter,
            ttftSeconds: fails || !text ? nil : truth.latency * jitter * 0.3,
            tokensIn: fails || !text ? nil : 500, tokensOut: fails || !text ? nil : 200,
            retryAt: fails ? retryAt : nil
        )
        if !fails, scenario.task == .textToImage { observation.images = 1 }
        return observation
    }

    private static func regret(_ costs: [(t: Double, ours: Double, oracle: Double)]) -> Double {
        let oracle = costs.reduce(0) { $0 + $1.oracle }
        return oracle > 0 ? costs.reduce(0) { $0 + $1.ours } / oracle - 1 : 0
    }

    /// Expected time to a success when trying `order` with failover (a full failure costs 30 s).
    func expectedTime(order: [TrueBehavior]) -> Double {
        var reach = 1.0
        var total = 0.0
        for truth in order {
            let p = 1 - truth.failureProbability
            total += reach * (p * truth.latency + (1 - p) * truth.failureLatency)
            reach *= 1 - p
        }
        return total + reach * 30
    }

    private func target(_ name: String) -> Target { Target(provider: ProviderID(name), model: Self.model) }

    private func descriptors(at t: Double) -> [TargetDescriptor] {
        scenario.providers.enumerated().map { index, provider in
            TargetDescriptor(target: target(provider.name), upstreamModel: provider.name, baseURL: "http://\(provider.name)", price: provider.price(at: t),
                             preferenceOrder: index, origin: priors && provider.published != nil ? .discovered : .configured,
                             published: priors ? provider.published : nil, task: scenario.task)
        }
    }
}
