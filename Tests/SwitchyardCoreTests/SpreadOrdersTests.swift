import SwitchyardCore
import Testing

private let model = ModelName("m")
/// One second before a whole minute: the old wall-clock-aligned seed changed two seconds later.
private let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000 - 1_800_000_000.truncatingRemainder(dividingBy: 60) + 59)

private func descriptor(_ provider: String, order: Int) -> TargetDescriptor {
    TargetDescriptor(target: Target(provider: ProviderID(provider), model: model), upstreamModel: "m", baseURL: "http://127.0.0.1:9/v1",
                     price: nil, preferenceOrder: order)
}

private func probe(_ provider: String, _ outcome: Outcome = .ok, latency: Double, at seconds: Double) -> Observation {
    Observation(target: Target(provider: ProviderID(provider), model: model), source: .probe, startedAt: t0 + (seconds - latency),
                outcome: outcome, totalSeconds: latency)
}

/// `pick=spread` holds one client's order for the whole spread period from the instant it was drawn.
@Suite struct SpreadOrdersTests {
    let clients = (0..<50).map { "client-\($0)" }

    func book() -> HealthBook {
        let book = HealthBook(descriptors: [descriptor("a", order: 0), descriptor("b", order: 1), descriptor("c", order: 2)], now: t0 + (-100))
        for second in stride(from: -10.0, through: -1, by: 1) {
            book.observe(probe("a", latency: 0.1, at: second))
            book.observe(probe("b", latency: 0.1, at: second))
            book.observe(probe("c", latency: 0.3, at: second))
        }
        return book
    }

    func order(_ book: HealthBook, _ client: String, at seconds: Double, limit: Int? = nil) -> [String] {
        guard case .route(let route) = book.route(RouteQuery(model: model, limit: limit, pick: .spread(client: client)), now: t0 + seconds) else { return [] }
        return route.candidates.map(\.provider.rawValue)
    }

    @Test func oneClientsOrderHoldsForThePeriodFromWhenItWasDrawnThenIsDrawnAgain() {
        let book = book()
        let first = clients.map { order(book, $0, at: 0) }
        #expect(Set(first.map { $0.first! }).count > 1, "the clients are spread")
        // Across the minute boundary, and after the weights moved (c became the fastest), nothing changes.
        #expect(clients.map { order(book, $0, at: 2) } == first)
        for second in stride(from: 3.0, through: 50, by: 1) { book.observe(probe("c", latency: 0.01, at: second)) }
        #expect(clients.map { order(book, $0, at: 59.999) } == first)
        // The period (60 s) is over: drawn afresh, with today's weights.
        let redrawn = clients.map { order(book, $0, at: 60) }
        #expect(redrawn != first)
        #expect(clients.map { order(book, $0, at: 119.999) } == redrawn)
    }

    @Test func aCandidateThatBecameUnhealthyDropsOutOfAHeldOrderAndTheLimitAppliesAfter() {
        let book = book()
        let first = clients.map { order(book, $0, at: 0) }
        for second in [10.0, 11, 12] { book.observe(probe("b", .failure(.serverError), latency: 0.1, at: second)) }
        #expect(clients.map { order(book, $0, at: 13) } == first.map { $0.filter { $0 != "b" } })
        #expect(clients.map { order(book, $0, at: 14, limit: 1) } == first.map { Array($0.filter { $0 != "b" }.prefix(1)) })
    }

    @Test func theMemoryIsBounded() {
        var orders = SpreadOrders(capacity: 3)
        let key = { (client: String) in SpreadOrders.Key(client: client, model: model, strategy: .balanced) }
        for index in 0..<5 { orders.remember([ProviderID("a")], for: key("c\(index)"), at: t0 + Double(index), period: 60) }
        #expect(orders.count == 3)
        #expect(orders.held(for: key("c0"), now: t0 + 5, period: 60) == nil)
        #expect(orders.held(for: key("c4"), now: t0 + 5, period: 60) == [ProviderID("a")])
        #expect(orders.held(for: key("c4"), now: t0 + 64, period: 60) == nil, "expired 60 s after it was drawn")
    }
}
