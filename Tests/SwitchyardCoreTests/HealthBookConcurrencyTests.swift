import SwitchyardCore
import Testing

@Suite(.timeLimit(.minutes(5))) struct HealthBookConcurrencyTests {
    @Test func concurrentObserversAndReadersSeeConsistentSnapshots() async throws {
        let model = ModelName("m")
        let names = ["fast", "slow", "dead"]
        let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000)
        let book = HealthBook(descriptors: names.enumerated().map { index, name in
            TargetDescriptor(target: Target(provider: ProviderID(name), model: model), upstreamModel: "m-up", baseURL: "http://\(name)", price: nil, preferenceOrder: index)
        }, now: t0)
        await withTaskGroup(of: Void.self) { group in
            for (index, name) in names.enumerated() {
                group.addTask {
                    for i in 0..<2000 {
                        let outcome: Outcome = name == "dead" ? .failure(.connectRefused) : .ok
                        book.observe(Observation(target: Target(provider: ProviderID(name), model: model), source: .probe,
                                                 startedAt: t0 + Double(i) * 0.01 + Double(index), outcome: outcome, totalSeconds: 0.01 * Double(index + 1),
                                                 message: outcome.isSuccess ? nil : "refused"))
                    }
                }
            }
            group.addTask {
                // Readers meanwhile always see the whole configuration, never a half-updated one.
                var consistent = true
                for i in 0..<2000 {
                    if case .route(let route) = book.route(RouteQuery(model: model), now: t0 + Double(i) * 0.01) {
                        consistent = consistent && route.candidates.count <= 3
                    } else {
                        consistent = false
                    }
                    consistent = consistent && book.snapshots().count == 3
                }
                #expect(consistent)
            }
        }
        let snapshots = book.snapshots()
        #expect(snapshots.count == 3)
        for snapshot in snapshots {
            #expect(snapshot.stats.samples == 2000)
        }
    }
}
