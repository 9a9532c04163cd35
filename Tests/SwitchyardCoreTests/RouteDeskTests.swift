import SwitchyardCore
import Testing

private let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000)
private let model = ModelName("llama")

/// A healthy target whose every probe took `latency` seconds.
private func snapshot(_ provider: String, order: Int, latency: Double) -> TargetSnapshot {
    let target = Target(provider: ProviderID(provider), model: model)
    var health = TargetHealth(since: t0)
    var stats = TargetStats()
    for index in 0..<20 {
        let observation = Observation(target: target, source: .probe, startedAt: t0 + Double(index), outcome: .ok, totalSeconds: latency)
        stats.record(observation, weight: 1, halfLifeSeconds: 300)
        _ = health.observe(observation, policy: HealthPolicy())
    }
    let descriptor = TargetDescriptor(target: target, upstreamModel: "up-\(provider)", baseURL: "http://\(provider)", price: nil, preferenceOrder: order)
    return TargetSnapshot(descriptor: descriptor, health: health, stats: stats)
}

/// The routing stage decides and records the incumbent in one step, ordered by the health it read.
@Suite struct RouteDeskTests {
    let now = t0 + 30
    /// What reader A retained from the health book at version 1: a leads by far.
    let older = [snapshot("a", order: 0, latency: 0.100), snapshot("b", order: 1, latency: 0.200)]
    /// What reader B retained at version 2: b is 5 % better, less than the 10 % stability margin.
    let newer = [snapshot("a", order: 0, latency: 0.100), snapshot("b", order: 1, latency: 0.095)]

    private func leader(_ route: Route) -> String? { route.candidates.first?.provider.rawValue }

    /// Two canonical reads overlap: A retains the book at version 1, B at version 2; B decides
    /// (b leads, no incumbent yet) and records b; then A decides from its older reading. A must
    /// not record a: the incumbent would then hold a against b's 5 % on the newer health, and
    /// every later answer would say a until a challenger beat it by 10 %.
    @Test func aDecisionFromOlderHealthCannotRecordAStaleIncumbent() {
        let desk = RouteDesk()
        #expect(leader(desk.route(RouteQuery(model: model), over: newer, version: 2, now: now)) == "b")
        #expect(leader(desk.route(RouteQuery(model: model), over: older, version: 1, now: now)) == "a")  // its own answer stands
        #expect(desk.incumbent(of: model, strategy: .balanced) == ProviderID("b"))
        #expect(leader(desk.route(RouteQuery(model: model), over: newer, version: 2, now: now + 1)) == "b")
    }

    @Test func aDecisionFromBeforeAReloadRecordsNothing() {
        let desk = RouteDesk()
        _ = desk.route(RouteQuery(model: model), over: older, version: 3, now: now)
        #expect(desk.incumbent(of: model, strategy: .balanced) == ProviderID("a"))
        desk.reconfigure(changed: [model], scoring: nil, version: 5)
        #expect(desk.incumbent(of: model, strategy: .balanced) == nil)
        _ = desk.route(RouteQuery(model: model), over: older, version: 4, now: now + 1)  // read before the reload
        #expect(desk.incumbent(of: model, strategy: .balanced) == nil)
        _ = desk.route(RouteQuery(model: model), over: newer, version: 5, now: now + 1)
        #expect(desk.incumbent(of: model, strategy: .balanced) == ProviderID("b"))
    }

    @Test func onlyCanonicalAnswersRecord() {
        let desk = RouteDesk()
        _ = desk.route(RouteQuery(model: model, exclude: [ProviderID("a")]), over: older, version: 1, now: now)
        _ = desk.route(RouteQuery(model: model, pick: .spread(client: "c")), over: older, version: 1, now: now)
        #expect(desk.incumbent(of: model, strategy: .balanced) == nil)
    }
}
