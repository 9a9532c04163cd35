import SwitchyardCore
import Testing

/// Issue #21's outage count: a request routed [a, b, c] before `a` was demoted (another
/// request saw it fail) skips `a` when its attempt on it has not started yet; on a controlled clock.
@Suite struct DemotionSinceRoutingTests {
    let model = ModelName("m")
    let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000)

    func target(_ name: String) -> Target { Target(provider: ProviderID(name), model: model) }

    func book() -> HealthBook {
        let book = HealthBook(descriptors: ["a", "b", "c"].enumerated().map { order, name in
            TargetDescriptor(target: target(name), upstreamModel: "m", baseURL: "http://127.0.0.1:9/v1", price: nil, preferenceOrder: order)
        }, now: t0)
        for name in ["a", "b", "c"] { book.observe(Observation(target: target(name), source: .probe, startedAt: t0, outcome: .ok, totalSeconds: 0)) }
        return book
    }

    func gatewayFailure(_ name: String, at seconds: Double) -> Observation {
        var observation = Observation(target: target(name), source: .report, startedAt: t0 + seconds, outcome: .failure(.serverError), totalSeconds: 0)
        observation.reporter = "bench"
        observation.chargedToReporter = true
        return observation
    }

    func reorder(_ candidates: inout [String], next: Int, _ book: HealthBook, at seconds: Double) -> Bool {
        DemotionSinceRouting.reorder(&candidates, next: next, target: target, isDemoted: { book.isDemoted($0, at: t0 + seconds) })
    }

    @Test func aTargetDemotedAfterRoutingIsTriedAfterTheOthers() throws {
        let book = book()
        guard case .route(let route) = book.route(RouteQuery(model: model, strategy: .preferred), now: t0 + 1) else { Issue.record(); return }
        var candidates = route.candidates.map(\.provider.rawValue)
        #expect(candidates == ["a", "b", "c"], "routed before the failure")
        #expect(!reorder(&candidates, next: 0, book, at: 1), "nothing demoted yet: unchanged")
        _ = book.apply(gatewayFailure("a", at: 1.01))  // another request's attempt on a failed
        #expect(book.isDemoted(target("a"), at: t0 + 1.02))
        #expect(reorder(&candidates, next: 0, book, at: 1.02))
        #expect(candidates == ["b", "c", "a"], "a is tried last, not dropped")
    }

    @Test func onlyTheCandidatesNotYetTriedMove() {
        let book = book()
        var candidates = ["a", "b", "c"]
        _ = book.apply(gatewayFailure("b", at: 1))
        #expect(reorder(&candidates, next: 1, book, at: 1.5))
        #expect(candidates == ["a", "c", "b"])
        // Demoted but the last one left, or every one left demoted: nothing to move.
        var last = ["a", "b"]
        #expect(!reorder(&last, next: 1, book, at: 1.5))
        _ = book.apply(gatewayFailure("c", at: 1))
        var both = ["a", "b", "c"]
        #expect(!reorder(&both, next: 1, book, at: 1.5))
        #expect(both == ["a", "b", "c"])
        // The demotion is bounded in time: later, the order stands.
        var later = ["a", "b", "c"]
        #expect(!reorder(&later, next: 1, book, at: 1 + ReportCorroboration.demotionSeconds))
    }
}
