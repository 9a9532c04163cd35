import SwitchyardCore
import Testing

private let model = ModelName("m")
private let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000)

private func descriptor(_ provider: String, order: Int, ttft: Double?) -> TargetDescriptor {
    TargetDescriptor(target: Target(provider: ProviderID(provider), model: model), upstreamModel: "m", baseURL: "http://127.0.0.1:9/v1",
                     price: nil, preferenceOrder: order, origin: .discovered,
                     published: PublishedFigures(firstTokenLatencyMs: ttft, tokensPerSecond: nil, status: .live))
}

/// A catalog refresh moves the published figures of discovered targets; that alone must not drop a model's incumbent.
@Suite struct RoutingStickinessTests {
    func routed(_ book: HealthBook) -> ProviderID? {
        guard case .route(let route) = book.route(RouteQuery(model: model), now: t0 + 1) else { return nil }
        return route.candidates.first?.provider
    }

    @Test func newPublishedFiguresKeepTheIncumbent() {
        let book = HealthBook(descriptors: [descriptor("a", order: 0, ttft: 200), descriptor("b", order: 1, ttft: 300)], now: t0)
        for provider in ["a", "b"] {
            book.observe(Observation(target: Target(provider: ProviderID(provider), model: model), source: .probe, startedAt: t0,
                                     outcome: .ok, totalSeconds: 0.1))
        }
        let leader = routed(book)
        #expect(leader != nil)
        #expect(book.routing.incumbent(of: model, strategy: .balanced) == leader)
        book.reconfigure(descriptors: [descriptor("a", order: 0, ttft: 250), descriptor("b", order: 1, ttft: 150)], now: t0 + 0.5)
        #expect(book.routing.incumbent(of: model, strategy: .balanced) == leader)
        // A change routing does see (the upstream id) still decides the model afresh.
        var moved = descriptor("a", order: 0, ttft: 250)
        moved.upstreamModel = "m2"
        book.reconfigure(descriptors: [moved, descriptor("b", order: 1, ttft: 150)], now: t0 + 0.6)
        #expect(book.routing.incumbent(of: model, strategy: .balanced) == nil)
    }
}
