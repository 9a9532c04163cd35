import SwitchyardCore
import Testing

private let model = ModelName("m")
private let top = Target(provider: ProviderID("a"), model: model)
private let second = Target(provider: ProviderID("b"), model: model)
private let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000)

private func descriptor(_ target: Target, order: Int) -> TargetDescriptor {
    TargetDescriptor(target: target, upstreamModel: "m", baseURL: "http://127.0.0.1:9/v1", price: nil, preferenceOrder: order)
}

private func probe(_ target: Target, _ outcome: Outcome, at seconds: Double) -> Observation {
    Observation(target: target, source: .probe, startedAt: t0 + seconds, outcome: outcome, totalSeconds: 0)
}

/// A failed attempt the gateway made itself (`chargedToReporter`), or a `POST /v1/reports` item.
private func report(_ outcome: Outcome, at seconds: Double, by caller: String = "bench", gateway: Bool = true) -> Observation {
    var observation = Observation(target: top, source: .report, startedAt: t0 + seconds, outcome: outcome, totalSeconds: 0)
    observation.reporter = caller
    observation.chargedToReporter = gateway
    return observation
}

/// Issue #21's outage: the gateway's own first failure of the top target moves it behind the
/// others until the confirming probe answers, at most `demotionSeconds`; on a controlled clock.
@Suite struct GatewayFailureDemotionTests {
    func book() -> HealthBook {
        let book = HealthBook(descriptors: [descriptor(top, order: 0), descriptor(second, order: 1)], now: t0)
        book.observe(probe(top, .ok, at: 0))
        book.observe(probe(second, .ok, at: 0))
        return book
    }

    func order(_ book: HealthBook, at seconds: Double) -> [String] {
        guard case .route(let route) = book.route(RouteQuery(model: model, strategy: .preferred), now: t0 + seconds) else { return [] }
        return route.candidates.map(\.provider.rawValue)
    }

    @Test func theGatewaysFirstFailureDemotesAtOnceUntilTheProbeAnswers() {
        let book = book()
        #expect(order(book, at: 1) == ["a", "b"])
        #expect(book.apply(report(.failure(.serverError), at: 1)).probeNow)
        #expect(order(book, at: 1) == ["b", "a"], "behind the others, not ejected")
        guard case .route(let route) = book.route(RouteQuery(model: model, strategy: .preferred), now: t0 + 1.5) else { Issue.record(); return }
        #expect(route.candidates[1].reasons.first?.hasPrefix("tried after the others") == true)
        #expect(route.candidates[1].state == .healthy)
        // More failures of the same episode ask for no second probe and do not stretch the bound.
        #expect(!book.apply(report(.failure(.serverError), at: 2)).probeNow)
        #expect(book.snapshots().first { $0.descriptor.target == top }?.corroboration.demotedUntil == t0 + 1 + ReportCorroboration.demotionSeconds)
        // The probe refutes it: back on top at once.
        _ = book.apply(probe(top, .ok, at: 2.5))
        #expect(order(book, at: 2.5) == ["a", "b"])
    }

    @Test func withoutAnAnswerTheDemotionEndsAfterItsBound() {
        let book = book()
        _ = book.apply(report(.failure(.timeout), at: 1))
        #expect(order(book, at: 1 + ReportCorroboration.demotionSeconds - 0.01) == ["b", "a"])
        #expect(order(book, at: 1 + ReportCorroboration.demotionSeconds) == ["a", "b"])
    }

    @Test func aRefutedDemotionBarsTheNextOneSoOneCallerCannotKeepATargetDown() {
        let book = book()
        _ = book.apply(report(.failure(.serverError), at: 1))
        _ = book.apply(probe(top, .ok, at: 2))
        // The same caller's next failures inside the bar still wait for a probe, but move no route.
        _ = book.apply(report(.failure(.serverError), at: 3))
        #expect(order(book, at: 3) == ["a", "b"])
        _ = book.apply(probe(top, .ok, at: 4))
        let afterBar = 2 + ReportCorroboration.demotionBarSeconds
        #expect(book.apply(report(.failure(.serverError), at: afterBar)).probeNow)
        #expect(order(book, at: afterBar) == ["b", "a"])
    }

    @Test func aClientsPostedReportDoesNotDemote() {
        let book = book()
        #expect(book.apply(report(.failure(.serverError), at: 1, gateway: false)).probeNow, "still asks for a probe, as before")
        #expect(order(book, at: 1) == ["a", "b"])
    }

    @Test func aFailingProbeHandsTheTargetToHealth() {
        let book = book()
        _ = book.apply(report(.failure(.serverError), at: 1))
        let confirmed = book.apply(probe(top, .failure(.serverError), at: 2))
        #expect(!confirmed.transitions.isEmpty)
        #expect(order(book, at: 2) == ["b", "a"] || order(book, at: 2) == ["b"])
    }
}
