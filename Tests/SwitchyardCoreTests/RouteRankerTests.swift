import SwitchyardCore
import Testing

private let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000)
private let model = ModelName("llama")

/// A target fed a scripted series of outcomes through the real state machine and statistics.
private func snapshot(_ provider: String, order: Int, price: Price? = nil, latency: Double, failures: [Bool] = [], count: Int = 20) -> TargetSnapshot {
    let target = Target(provider: ProviderID(provider), model: model)
    var health = TargetHealth(since: t0)
    var stats = TargetStats()
    for index in 0..<count {
        let failed = failures.isEmpty ? false : failures[index % failures.count]
        let o = Observation(target: target, source: .probe, startedAt: t0 + Double(index), outcome: failed ? .failure(.serverError) : .ok,
                            totalSeconds: failed ? latency * 2 : latency)
        stats.record(o, weight: 1, halfLifeSeconds: 300)
        _ = health.observe(o, policy: HealthPolicy())
    }
    let descriptor = TargetDescriptor(target: target, upstreamModel: "up-\(provider)", baseURL: "http://\(provider)", price: price, preferenceOrder: order)
    return TargetSnapshot(descriptor: descriptor, health: health, stats: stats)
}

@Suite struct RouteRankerTests {
    let ranker = RouteRanker()
    let now = t0 + 30

    @Test func fasterHealthyTargetRanksFirst() {
        let route = ranker.rank([snapshot("slow", order: 0, latency: 0.4), snapshot("fast", order: 1, latency: 0.1)], query: RouteQuery(model: model), now: now)
        #expect(route.candidates.map(\.provider.rawValue) == ["fast", "slow"])
        #expect(route.panic == false)
        #expect(route.candidates[0].upstreamModel == "up-fast")
    }

    @Test func ejectedTargetIsDropped() {
        let dead = snapshot("dead", order: 0, latency: 0.05, failures: [true], count: 3)
        #expect(dead.health.state == .ejected)
        let route = ranker.rank([dead, snapshot("ok", order: 1, latency: 0.3)], query: RouteQuery(model: model), now: now)
        #expect(route.candidates.map(\.provider.rawValue) == ["ok"])
    }

    @Test func fastButUnreliableLosesToSteady() {
        // 30% failures: E = 0.1 + 0.2 * 0.3/0.7 ≈ 0.186 s versus a steady 0.15 s.
        let flaky = snapshot("flaky", order: 0, latency: 0.1, failures: [false, false, true, false, false, true, false, false, true, false], count: 100)
        let steady = snapshot("steady", order: 1, latency: 0.15, count: 100)
        let route = ranker.rank([flaky, steady], query: RouteQuery(model: model), now: now + 100)
        #expect(route.candidates.map(\.provider.rawValue) == ["steady", "flaky"])
    }

    @Test func panicListsEveryoneBySoonestRecovery() {
        let first = snapshot("later", order: 0, latency: 0.1, failures: [true], count: 3)
        var second = snapshot("sooner", order: 1, latency: 0.1, failures: [true], count: 3)
        second.health = {
            var health = TargetHealth(since: t0)
            let target = second.descriptor.target
            _ = health.observe(Observation(target: target, source: .probe, startedAt: t0, outcome: .failure(.rateLimited), totalSeconds: 0, retryAt: t0 + 10), policy: HealthPolicy())
            return health
        }()
        let route = ranker.rank([first, second], query: RouteQuery(model: model), now: now)
        #expect(route.panic)
        #expect(route.candidates.map(\.provider.rawValue) == ["sooner", "later"])
        #expect(route.earliestRetryAt == t0 + 10)
    }

    @Test func filtersApply() {
        let snapshots = [
            snapshot("a", order: 0, price: Price(perRequest: 0.01), latency: 0.1),
            snapshot("b", order: 1, price: Price(perRequest: 0.001), latency: 0.2),
            snapshot("c", order: 2, price: Price(perRequest: 0.002), latency: 0.3),
        ]
        #expect(ranker.rank(snapshots, query: RouteQuery(model: model, maxPrice: 0.005), now: now).candidates.map(\.provider.rawValue) == ["b", "c"])
        #expect(ranker.rank(snapshots, query: RouteQuery(model: model, exclude: [ProviderID("a")]), now: now).candidates.map(\.provider.rawValue) == ["b", "c"])
        #expect(ranker.rank(snapshots, query: RouteQuery(model: model, limit: 1), now: now).candidates.map(\.provider.rawValue) == ["a"])
        #expect(ranker.rank(snapshots, query: RouteQuery(model: model, strategy: .cheapest), now: now).candidates.map(\.provider.rawValue) == ["b", "c", "a"])
        #expect(ranker.rank(snapshots, query: RouteQuery(model: model, strategy: .preferred), now: now).candidates.map(\.provider.rawValue) == ["a", "b", "c"])
    }

    @Test func priceOnlyBreaksNearTies() {
        let dear = snapshot("dear", order: 0, price: Price(perRequest: 0.01), latency: 0.100)
        let cheap = snapshot("cheap", order: 1, price: Price(perRequest: 0.001), latency: 0.102)
        let far = snapshot("far", order: 2, price: Price(perRequest: 0.0001), latency: 0.5)
        let route = ranker.rank([dear, cheap, far], query: RouteQuery(model: model), now: now)
        #expect(route.candidates.map(\.provider.rawValue) == ["cheap", "dear", "far"])
    }

    @Test func noSamplesNeverYieldsNaN() {
        let empty = TargetStats()
        #expect(empty.successProbability(at: now, halfLifeSeconds: 300) == 0.5)
        let fresh = TargetSnapshot(descriptor: TargetDescriptor(target: Target(provider: ProviderID("new"), model: model), upstreamModel: "x", baseURL: "http://x", price: nil, preferenceOrder: 0), health: TargetHealth(since: t0), stats: empty)
        let route = ranker.rank([fresh], query: RouteQuery(model: model), now: now)
        #expect(route.candidates[0].score.isFinite)
        #expect(route.candidates[0].reasons == ["no measurements yet"])
    }

    @Test func oldOutcomesDecay() {
        var stats = TargetStats()
        let target = Target(provider: ProviderID("p"), model: model)
        for i in 0..<10 {
            stats.record(Observation(target: target, source: .probe, startedAt: t0 + Double(i), outcome: .failure(.timeout), totalSeconds: 0), weight: 1, halfLifeSeconds: 60)
        }
        let soon = stats.successProbability(at: t0 + 10, halfLifeSeconds: 60)
        let later = stats.successProbability(at: t0 + 600, halfLifeSeconds: 60)
        #expect(soon < 0.2)
        #expect(later > 0.49 && later <= 0.5)
    }
}

@Suite struct HealthBookTests {
    @Test func unknownModelListsKnownOnes() {
        let descriptor = TargetDescriptor(target: Target(provider: ProviderID("p"), model: ModelName("a")), upstreamModel: "a", baseURL: "http://p", price: nil, preferenceOrder: 0)
        let book = HealthBook(descriptors: [descriptor], now: t0)
        #expect(book.route(RouteQuery(model: ModelName("zzz")), now: t0) == .unknownModel(known: [ModelName("a")]))
    }

    @Test func observationsOfUnconfiguredTargetsAreIgnored() {
        let book = HealthBook(descriptors: [], now: t0)
        let stray = Observation(target: Target(provider: ProviderID("x"), model: ModelName("y")), source: .report, startedAt: t0, outcome: .ok, totalSeconds: 1)
        #expect(book.observe(stray) == nil)
        #expect(book.snapshots().isEmpty)
    }
}

@Suite struct TimestampTests {
    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00.000Z"),
        (951_782_400.5, "2000-02-29T00:00:00.500Z"),
        (1_800_000_000.25, "2027-01-15T08:00:00.250Z"),
        (-1.0, "1969-12-31T23:59:59.000Z"),
    ])
    func rfc3339(seconds: Double, expected: String) {
        #expect(Timestamp(secondsSinceEpoch: seconds).rfc3339 == expected)
    }

    @Test func timeOfDay() {
        #expect(Timestamp(secondsSinceEpoch: 1_800_000_000 + 4 * 3600 + 245).timeOfDay == "12:04:05Z")
    }
}

@Suite struct StabilityAndSpreadTests {
    let ranker = RouteRanker()
    let now = t0 + 30

    @Test func incumbentKeepsTheLeadWithinTheMargin() {
        let a = snapshot("a", order: 0, latency: 0.100)
        let b = snapshot("b", order: 1, latency: 0.095)  // 5% better: not enough
        let kept = ranker.rank([a, b], query: RouteQuery(model: model), now: now, incumbent: ProviderID("a"))
        #expect(kept.candidates.map(\.provider.rawValue) == ["a", "b"])
        #expect(kept.candidates[0].reasons.first == "kept as top pick: b is within 10%")
        let c = snapshot("c", order: 1, latency: 0.080)  // 20% better: takes over
        let displaced = ranker.rank([a, c], query: RouteQuery(model: model), now: now, incumbent: ProviderID("a"))
        #expect(displaced.candidates.map(\.provider.rawValue) == ["c", "a"])
    }

    @Test func healthBookRemembersTheIncumbentOnlyForCanonicalQueries() {
        let descriptors = ["a", "b"].enumerated().map { index, name in
            TargetDescriptor(target: Target(provider: ProviderID(name), model: model), upstreamModel: name, baseURL: "http://\(name)", price: nil, preferenceOrder: index)
        }
        let book = HealthBook(descriptors: descriptors, now: t0)
        func feed(_ name: String, latency: Double, at second: Double) {
            book.observe(Observation(target: Target(provider: ProviderID(name), model: model), source: .probe, startedAt: t0 + second, outcome: .ok, totalSeconds: latency))
        }
        func top(_ query: RouteQuery = RouteQuery(model: model)) -> String? {
            guard case .route(let route) = book.route(query, now: t0 + 100) else { return nil }
            return route.candidates.first?.provider.rawValue
        }
        feed("a", latency: 0.100, at: 1)
        feed("b", latency: 0.200, at: 1)
        #expect(top() == "a")
        for second in [2.0, 3.0] {
            feed("a", latency: 0.100, at: second)
            feed("b", latency: 0.097, at: second)  // b's p50 becomes 0.097 s: 3% better than a
        }
        #expect(top() == "a")
        #expect(top(RouteQuery(model: model, exclude: [ProviderID("a")])) == "b")
        #expect(top() == "a")  // the filtered answer did not move the incumbent
    }

    @Test func spreadIsStablePerClientAndPeriodAndFollowsScores() {
        let snapshots = [snapshot("a", order: 0, latency: 0.1), snapshot("b", order: 1, latency: 0.1), snapshot("c", order: 2, latency: 0.4)]
        func order(_ client: String, at time: Timestamp) -> [String] {
            ranker.rank(snapshots, query: RouteQuery(model: model, pick: .spread(client: client)), now: time).candidates.map(\.provider.rawValue)
        }
        #expect(order("client-1", at: now) == order("client-1", at: now + 1))
        var firsts: [String: Int] = [:]
        for index in 0..<3000 { firsts[order("client-\(index)", at: now)[0], default: 0] += 1 }
        // Weights 10 : 10 : 2.5 → shares about 44% : 44% : 11%.
        #expect((1150...1500).contains(firsts["a"] ?? 0))
        #expect((1150...1500).contains(firsts["b"] ?? 0))
        #expect((200...480).contains(firsts["c"] ?? 0))
    }
}
