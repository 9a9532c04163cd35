import SwitchyardCore
import Testing

private let model = ModelName("m")
private let flaky = Target(provider: ProviderID("flaky"), model: model)
private let steady = Target(provider: ProviderID("steady"), model: model)
private let drained = Target(provider: ProviderID("drained"), model: model)
private let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000)

private func descriptor(_ target: Target, order: Int) -> TargetDescriptor {
    TargetDescriptor(target: target, upstreamModel: "up", baseURL: "http://\(target.provider)", price: nil, preferenceOrder: order)
}

private func probe(_ target: Target, _ outcome: Outcome, at seconds: Double, ms: Double = 50) -> Observation {
    Observation(target: target, source: .probe, startedAt: t0 + seconds, outcome: outcome, totalSeconds: ms / 1000)
}

@Suite struct WarmStartTests {
    /// Stored reports that a probe contradicted do not eject the target at the next start.
    @Test func replayedReportsPassTheSameCapAsLiveOnes() {
        var history = [probe(flaky, .ok, at: 0)]
        for i in 1...3 {
            var report = Observation(target: flaky, source: .report, startedAt: t0 + Double(i), outcome: .failure(.serverError), totalSeconds: 0.1)
            report.reporter = nil  // callers are not stored
            history.append(report)
        }
        history.append(probe(flaky, .ok, at: 5))
        let lived = HealthBook(descriptors: [descriptor(flaky, order: 0)], now: t0)
        for observation in history { lived.observe(observation) }
        let warm = HealthBook(descriptors: [descriptor(flaky, order: 0)], now: t0)
        warm.warmStart(HealthBook.WarmStart(observations: history))
        #expect(lived.snapshots()[0].health.state == .healthy)
        #expect(warm.snapshots()[0].health == lived.snapshots()[0].health)
    }

    /// Replaying what the store remembered gives the same health and statistics as living through it.
    @Test func replayedHistoryRestoresStateAndStatisticsExactly() {
        let descriptors = [descriptor(flaky, order: 0), descriptor(steady, order: 1), descriptor(drained, order: 2)]
        var history: [Observation] = []
        for i in 0..<20 { history.append(probe(steady, .ok, at: Double(i) * 10, ms: 40 + Double(i))) }
        for i in 0..<5 { history.append(probe(flaky, .ok, at: Double(i) * 10)) }
        for i in 5..<9 { history.append(probe(flaky, .failure(.timeout), at: Double(i) * 10, ms: 1000)) }
        history.append(probe(drained, .ok, at: 5))
        history.append(probe(Target(provider: ProviderID("gone"), model: model), .ok, at: 5))

        let lived = HealthBook(descriptors: descriptors, now: t0)
        for observation in history { lived.observe(observation) }
        _ = lived.setDraining(true, provider: drained.provider, at: t0 + 100, by: "admin")

        let restarted = HealthBook(descriptors: descriptors, now: t0 + 500)
        let restored = restarted.warmStart(HealthBook.WarmStart(observations: history.shuffled(), drained: [drained: t0 + 100]))
        #expect(restored == [flaky, steady, drained])
        let before = lived.snapshots()
        let after = restarted.snapshots()
        #expect(after.map(\.health.state) == [.draining, .ejected, .healthy])
        #expect(after.map(\.health.state) == before.map(\.health.state))
        #expect(after.map(\.health.ejectedUntil) == before.map(\.health.ejectedUntil))
        #expect(after.map(\.stats) == before.map(\.stats))
        let route = restarted.route(RouteQuery(model: model), now: t0 + 100)
        guard case .route(let answer) = route else { Issue.record("no route"); return }
        #expect(answer.candidates.first?.provider == steady.provider)
    }

    @Test func nothingRememberedRestoresNothing() {
        let book = HealthBook(descriptors: [descriptor(steady, order: 0)], now: t0)
        #expect(book.warmStart(HealthBook.WarmStart(observations: [])).isEmpty)
        #expect(book.snapshots().first?.health.state == .unknown)
    }
}
