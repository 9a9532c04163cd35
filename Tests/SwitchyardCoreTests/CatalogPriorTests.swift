import SwitchyardCore
import Testing

private let model = ModelName("m")
private let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000)

private func target(_ provider: String) -> Target { Target(provider: ProviderID(provider), model: model) }

/// A discovered target with what its catalog published.
private func discovered(_ provider: String, order: Int, ttftMs: Double? = nil, tokensPerSecond: Double? = nil,
                        status: CatalogStatus? = .live) -> TargetDescriptor {
    TargetDescriptor(target: target(provider), upstreamModel: "up", baseURL: "http://\(provider)", price: nil, preferenceOrder: order,
                     origin: .discovered, published: PublishedFigures(firstTokenLatencyMs: ttftMs, tokensPerSecond: tokensPerSecond, status: status))
}

/// A successful probe that took `ttft` to the first token and then produced `tokens` at `rate` tokens/s.
private func success(_ provider: String, at seconds: Double, ttft: Double = 0.1, tokens: Int = 100, rate: Double) -> Observation {
    Observation(target: target(provider), source: .probe, startedAt: t0 + seconds, outcome: .ok,
                totalSeconds: ttft + Double(tokens) / rate, ttftSeconds: ttft, tokensIn: 10, tokensOut: tokens)
}

private func order(_ book: HealthBook, _ strategy: RoutingStrategy, at seconds: Double = 100) -> [String] {
    // The ranker alone (no incumbent): the order the figures give.
    RouteRanker().rank(book.snapshots(), query: RouteQuery(model: model, strategy: strategy), now: t0 + seconds).candidates.map(\.provider.rawValue)
}

/// Scoring whose catalog prior counts as `weight` local samples.
private func weighing(_ weight: Int) -> ScoringPolicy {
    var scoring = ScoringPolicy()
    scoring.catalogPriorWeight = weight
    return scoring
}

private func snapshot(_ book: HealthBook, _ provider: String) -> TargetSnapshot {
    book.snapshots().first { $0.descriptor.target.provider.rawValue == provider }!
}

@Suite struct CatalogPriorTests {
    /// Before any local sample the catalog's figures rank discovered targets, under every figure-based strategy
    /// (without priors all three are unmeasured and keep the configuration order: first, then quick).
    @Test func priorDecidesWhileNothingIsMeasured() {
        let book = HealthBook(descriptors: [
            discovered("first", order: 0, ttftMs: 900, tokensPerSecond: 40),
            discovered("quick", order: 1, ttftMs: 150, tokensPerSecond: 250),
        ], now: t0)
        for strategy in [RoutingStrategy.fastest, .latency, .balanced] {
            #expect(order(book, strategy) == ["quick", "first"], "\(strategy)")
        }
        // The published figures are estimates, not measurements: the candidate's measured fields stay empty.
        let candidate = RouteRanker().rank(book.snapshots(), query: RouteQuery(model: model), now: t0).candidates[0]
        #expect(candidate.ttftP50Ms == nil && candidate.tokensPerSecond == nil)
    }

    /// The prior counts as `catalogPriorWeight` samples (1 by default) and each local sample takes one's place.
    /// A catalog that is wildly wrong (says 1000 vs 10 tokens/s; truly 50 vs 60) decides with fewer local samples
    /// of each than the weight, and from exactly that many on the local figures alone decide, as if there had been
    /// no catalog: with the default, from the first local sample; with a weight of 3, from the 3rd.
    @Test(arguments: [nil, 3] as [Int?])
    func fromWeightLocalSamplesOnTheLocalFiguresAloneDecide(weight: Int?) {
        #expect(ScoringPolicy().catalogPriorWeight == 1)
        let scoring = weight.map(weighing) ?? ScoringPolicy()
        let k = scoring.catalogPriorWeight
        let descriptors = [discovered("b", order: 0, tokensPerSecond: 10), discovered("a", order: 1, tokensPerSecond: 1000)]
        let book = HealthBook(descriptors: descriptors, scoring: scoring, now: t0)
        let unprimed = HealthBook(descriptors: descriptors.map { var plain = $0; plain.published = nil; return plain }, scoring: scoring, now: t0)
        var localDecides: [Int] = []
        for n in 0...5 {
            if order(book, .fastest).first == "b" { localDecides.append(n) }
            // Once the prior no longer decides, the order is exactly the one without any catalog.
            if n >= k { #expect(order(book, .fastest) == order(unprimed, .fastest), "n = \(n)") }
            for b in [book, unprimed] {
                b.observe(success("a", at: Double(n), rate: 50))
                b.observe(success("b", at: Double(n), rate: 60))
            }
        }
        #expect(localDecides == Array(k...5))
    }

    /// With a weight of 3 the figure fades linearly: ((3 − n) · catalog + n · local p50) / 3, then the local median alone.
    @Test func aHeavierPriorFadesOneSampleAtATime() {
        let book = HealthBook(descriptors: [discovered("a", order: 0, tokensPerSecond: 1000)], scoring: weighing(3), now: t0)
        for n in 1...4 {
            book.observe(success("a", at: Double(n), rate: 50))
            let estimate = snapshot(book, "a").stats.tokensPerSecondEstimate!
            let expected = n < 3 ? (Double(3 - n) * 1000 + Double(n) * 50) / 3 : 50
            #expect(abs(estimate - expected) < 1e-9, "after \(n) samples: \(estimate)")
        }
    }

    /// `status: error` starts a discovered target degraded; it leaves by the normal rule (2 successes).
    /// A refresh that turns a live target's status to error moves it too, and says so.
    @Test func catalogErrorStartsDegradedAndRecoversByTheNormalRules() throws {
        let book = HealthBook(descriptors: [discovered("broken", order: 0, ttftMs: 200, status: .error), discovered("fine", order: 1, ttftMs: 300)],
                              now: t0)
        #expect(snapshot(book, "broken").health.state == .degraded)
        #expect(snapshot(book, "fine").health.state == .unknown)
        let reasons = RouteRanker().rank(book.snapshots(), query: RouteQuery(model: model), now: t0).candidates.first { $0.provider.rawValue == "broken" }!.reasons
        #expect(reasons.first == "degraded, the catalog reports status error")
        #expect(book.observe(success("broken", at: 1, rate: 100)) == nil)
        #expect(snapshot(book, "broken").health.state == .degraded)
        let recovered = try #require(book.observe(success("broken", at: 2, rate: 100)))
        #expect(recovered.from == .degraded && recovered.to == .healthy)

        book.observe(success("fine", at: 3, rate: 100))
        let turned = book.reconfigure(descriptors: [discovered("broken", order: 0, ttftMs: 200, status: .error),
                                                    discovered("fine", order: 1, ttftMs: 300, status: .error)], now: t0 + 4)
        #expect(turned.map(\.target.provider.rawValue) == ["fine"])
        #expect(turned.map(\.to) == [.degraded] && turned.first?.reason == "the catalog reports status error")
        // Still error at the next refresh: nothing new; the healthy "broken" stays healthy (local truth).
        #expect(book.reconfigure(descriptors: [discovered("broken", order: 0, ttftMs: 200, status: .error),
                                               discovered("fine", order: 1, ttftMs: 300, status: .error)], now: t0 + 5).isEmpty)
        #expect(snapshot(book, "broken").health.state == .healthy)
    }

    /// The route's reasons say which figures are still the catalog's, blended or not.
    @Test func reasonsSayWhenAFigureIsStillTheCatalogs() {
        let published = [discovered("p", order: 0, ttftMs: 420, tokensPerSecond: 200)]
        let book = HealthBook(descriptors: published, now: t0)
        let heavier = HealthBook(descriptors: published, scoring: weighing(3), now: t0)
        func reasons(_ book: HealthBook) -> [String] {
            RouteRanker().rank(book.snapshots(), query: RouteQuery(model: model), now: t0 + 10).candidates[0].reasons
        }
        // 420 ms + 200 typical output tokens at 200/s = 1420 ms.
        let catalogOnly = ["no measurements yet", "latency 1420 ms (catalog)", "ttft 420 ms (catalog)", "200 output tokens/s (catalog)"]
        #expect(reasons(book) == catalogOnly && reasons(heavier) == catalogOnly)
        for b in [book, heavier] { b.observe(success("p", at: 1, ttft: 0.12, tokens: 100, rate: 50)) }  // 2120 ms, TTFT 120 ms, 50/s
        #expect(reasons(book) == ["p50 latency 2120 ms over 1 samples", "p50 TTFT 120 ms over 1 samples", "50 output tokens/s"])
        #expect(reasons(heavier) == [
            "latency 1653 ms (catalog 1420 ms blended with 1 local sample)",
            "ttft 320 ms (catalog 420 ms blended with 1 local sample)",
            "150 output tokens/s (catalog 200/s blended with 1 local sample)",
        ])
        heavier.observe(success("p", at: 2, ttft: 0.12, tokens: 100, rate: 50))
        heavier.observe(success("p", at: 3, ttft: 0.12, tokens: 100, rate: 50))
        #expect(reasons(heavier) == ["p50 latency 2120 ms over 3 samples", "p50 TTFT 120 ms over 3 samples", "50 output tokens/s"])
    }

    /// A refresh that changes the published figures replaces the prior and keeps every local sample.
    @Test func aPublishedFigureChangeKeepsTheLocalSamples() {
        let book = HealthBook(descriptors: [discovered("p", order: 0, tokensPerSecond: 200)], scoring: weighing(3), now: t0)
        book.observe(success("p", at: 1, rate: 50))
        book.observe(success("p", at: 2, rate: 50))
        let before = snapshot(book, "p").stats
        #expect(abs(before.tokensPerSecondEstimate! - (200 + 2 * 50) / 3) < 1e-9)
        book.reconfigure(descriptors: [discovered("p", order: 0, tokensPerSecond: 80)], now: t0 + 3)
        let after = snapshot(book, "p").stats
        #expect(after.tokensPerSecond == before.tokensPerSecond && after.total == before.total && after.samples == 2)
        #expect(after.prior?.tokensPerSecond == 80)
        #expect(abs(after.tokensPerSecondEstimate! - (80 + 2 * 50) / 3) < 1e-9)
        // A refresh that publishes nothing any more leaves the local figures alone.
        book.reconfigure(descriptors: [discovered("p", order: 0, status: .live)], now: t0 + 4)
        #expect(abs(snapshot(book, "p").stats.tokensPerSecondEstimate! - 50) < 1e-9)
    }

    /// A restart replays the stored samples under the same prior once: the same statistics, estimates and
    /// health as living through them (the prior is no sample, so it is neither stored nor replayed).
    @Test func warmStartCountsThePriorOnce() {
        let descriptors = [discovered("p", order: 0, ttftMs: 400, tokensPerSecond: 200, status: .error), discovered("q", order: 1, tokensPerSecond: 90)]
        let history = [success("p", at: 1, rate: 50), success("p", at: 2, rate: 50), success("q", at: 3, rate: 70)]
        let lived = HealthBook(descriptors: descriptors, scoring: weighing(3), now: t0)
        for observation in history { lived.observe(observation) }
        let restarted = HealthBook(descriptors: descriptors, scoring: weighing(3), now: t0 + 60)
        restarted.warmStart(HealthBook.WarmStart(observations: history))
        #expect(restarted.snapshots().map(\.stats) == lived.snapshots().map(\.stats))
        #expect(restarted.snapshots().map(\.health) == lived.snapshots().map(\.health))
        #expect(restarted.snapshots().map(\.health.state) == [.healthy, .healthy])
        let p = snapshot(restarted, "p").stats
        #expect(p.tokensPerSecond.count == 2)
        #expect(abs(p.tokensPerSecondEstimate! - (200 + 2 * 50) / 3) < 1e-9)
        #expect(abs(snapshot(restarted, "q").stats.tokensPerSecondEstimate! - (2 * 90 + 70) / 3) < 1e-9)
    }
}
