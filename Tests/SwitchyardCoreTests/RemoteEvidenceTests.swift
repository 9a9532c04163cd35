import SwitchyardCore
import Testing

/// A fleet peer's observation goes through the same state machine, at `remote_weight`, and the
/// route's reasons say which host saw the last failure.
@Suite struct RemoteEvidenceTests {
    let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000)
    let target = Target(provider: ProviderID("a"), model: ModelName("m"))

    func book() -> HealthBook {
        HealthBook(descriptors: [TargetDescriptor(target: target, upstreamModel: "m", baseURL: "http://a", price: nil, preferenceOrder: 0)],
                   healthPolicy: HealthPolicy(), scoring: ScoringPolicy(), now: t0)
    }

    func probe(_ outcome: Outcome, at second: Double, seenBy: String? = nil, weight: Double = 1) -> Observation {
        var observation = Observation(target: target, source: .probe, startedAt: t0 + second, outcome: outcome, totalSeconds: 0.1)
        observation.seenBy = seenBy
        observation.evidenceWeight = weight
        return observation
    }

    @Test func aPeersFailureWeighsItsRemoteWeight() {
        let full = book()
        let light = book()
        for (health, weight) in [(full, 1.0), (light, 0.2)] {
            for second in 0..<4 { health.apply(probe(.ok, at: Double(second))) }
            health.apply(probe(.failure(.serverError), at: 5, seenBy: "host-b", weight: weight))
        }
        let now = t0 + 6
        let fullRate = full.snapshots()[0].stats.successProbability(at: now, halfLifeSeconds: 300)
        let lightRate = light.snapshots()[0].stats.successProbability(at: now, halfLifeSeconds: 300)
        #expect(lightRate > fullRate, "a failure at weight 0.2 costs less than one at weight 1")
    }

    @Test func theRouteSaysWhichHostSawTheLastFailure() {
        let health = book()
        health.apply(probe(.ok, at: 0))
        for second in 1...3 { health.apply(probe(.failure(.serverError), at: Double(second), seenBy: "host-b")) }
        guard case .route(let route) = health.route(RouteQuery(model: ModelName("m")), now: t0 + 4) else {
            Issue.record("no route")
            return
        }
        let reasons = route.candidates.first?.reasons ?? []
        #expect(reasons.contains { $0.contains("(last: server_error, seen by host host-b)") }, "\(reasons)")
    }
}
