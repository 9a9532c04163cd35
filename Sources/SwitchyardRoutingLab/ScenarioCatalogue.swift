import SwitchyardCore

/// The scripted scenarios of the routing issue. Latencies are seconds of simulated time.
public enum ScenarioCatalogue {
    public static let all: [Scenario] = [
        outage(reports: true), outage(reports: false), slowDegradation, rateLimitStorm, flapping, priceChange, nearEqual, allDown,
        catalog(.balanced), catalog(.fastest), catalog(.balanced, right: true), catalog(.fastest, right: true),
    ]

    /// Discovered targets, in the catalog's listing order, whose published figures are partly wrong
    /// (`right: false`): `a`, the catalog's fastest (0.25 s), is really the slowest (1.2 s); `c` is
    /// really the fastest (0.3 s) but published as 0.6 s; `b` and `d` are published right; `e` is
    /// published with `status: error` (it starts degraded) but works. With `right: true` every
    /// figure is the truth. Every request and probe succeeds, so the regret is the price (or the
    /// gain) of ranking on the catalog's word until local samples outweigh it.
    /// `jitter` spreads each request's time (the other scenarios: ±10 %).
    public static func catalog(_ strategy: RoutingStrategy, right: Bool = false, jitter: ClosedRange<Double> = 0.9...1.1) -> Scenario {
        let claims: [(name: String, claimed: Double, truly: Double, status: CatalogStatus)] = [
            ("d", 0.5, 0.5, .live), ("a", 0.25, 1.2, .live), ("e", 0.45, 0.45, .error), ("b", 0.4, 0.4, .live), ("c", 0.6, 0.3, .live),
        ]
        var scenario = Scenario(
            name: "catalog \(right ? "right" : "wrong"), \(strategy == .fastest ? ":fastest" : strategy.rawValue)", duration: 300,
            providers: claims.map { claim in
                ScriptedProvider(name: claim.name, published: published(claimed: right ? claim.truly : claim.claimed, status: claim.status)) { _ in
                    TrueBehavior(latency: claim.truly)
                }
            },
            troubled: "a", troubleStart: 0, strategy: strategy
        )
        scenario.jitter = jitter
        return scenario
    }

    /// Text-to-image providers priced per image: `cheap` is slow (40 s an image, $0.002), `dear` is
    /// fast and reliable (4 s, $0.02), `flaky` is the fastest but fails 40 % of its requests after
    /// 3 s ($0.006). Balanced ranks on seconds per successful image (dear: 4 s against flaky's
    /// 3 + 3·0.4/0.6 = 5 s); cheapest on cost per successful image (cheap: $0.002 against flaky's
    /// $0.01). Probes every minute (the task's default), a request every 2 s.
    public static func textToImage(_ strategy: RoutingStrategy) -> Scenario {
        var scenario = Scenario(
            name: "text-to-image, \(strategy.rawValue)", duration: 900,
            providers: [
                ScriptedProvider(name: "cheap", price: Price(perImage: 0.002)) { _ in TrueBehavior(latency: 40) },
                ScriptedProvider(name: "flaky", price: Price(perImage: 0.006)) { _ in
                    TrueBehavior(latency: 3, failureProbability: 0.4, failureLatency: 3)
                },
                ScriptedProvider(name: "dear", price: Price(perImage: 0.02)) { _ in TrueBehavior(latency: 4) },
            ],
            probeInterval: 60, requestsPerSecond: 0.5, strategy: strategy
        )
        scenario.task = .textToImage
        return scenario
    }

    /// The figures a catalog publishes for a provider it believes answers in `claimed` seconds,
    /// in the simulation's own shape of an answer (TTFT 30 % of it, then 200 tokens).
    static func published(claimed: Double, status: CatalogStatus) -> PublishedFigures {
        PublishedFigures(firstTokenLatencyMs: claimed * 0.3 * 1000, tokensPerSecond: 200 / (claimed * 0.7), status: status)
    }

    /// `a`, the fastest, fails every request from 120 s to 240 s.
    public static func outage(reports: Bool) -> Scenario {
        Scenario(
            name: reports ? "outage and recovery (reports 10/s)" : "outage and recovery (probes only)", duration: 480,
            providers: [
                ScriptedProvider(name: "a") { t in
                    let up = TrueBehavior(latency: 0.20)
                    return (120..<240).contains(t) ? up.down(.serverError, after: 0.05) : up
                },
                ScriptedProvider(name: "b") { _ in TrueBehavior(latency: 0.30) },
                ScriptedProvider(name: "c") { _ in TrueBehavior(latency: 0.50) },
            ],
            troubled: "a", troubleStart: 120, troubleEnd: 240, reportsFlow: reports
        )
    }

    /// `a` slows from 0.2 s to 1 s between 60 s and 360 s; it is worse than `b` (0.35 s) from 116 s on.
    public static let slowDegradation = Scenario(
        name: "slow degradation", duration: 480,
        providers: [
            ScriptedProvider(name: "a") { t in TrueBehavior(latency: 0.2 + 0.8 * min(max(t - 60, 0), 300) / 300) },
            ScriptedProvider(name: "b") { _ in TrueBehavior(latency: 0.35) },
        ],
        troubled: "a", troubleStart: 116.25
    )

    /// `a` answers 429 with Retry-After 20 s from 120 s to 180 s.
    public static let rateLimitStorm = Scenario(
        name: "429 storm with Retry-After", duration: 360,
        providers: [
            ScriptedProvider(name: "a") { t in
                (120..<180).contains(t)
                    ? TrueBehavior(latency: 0.2, failureProbability: 1, failureClass: .rateLimited, failureLatency: 0.02, retryAfterSeconds: 20)
                    : TrueBehavior(latency: 0.2)
            },
            ScriptedProvider(name: "b") { _ in TrueBehavior(latency: 0.25) },
        ],
        troubled: "a", troubleStart: 120, troubleEnd: 180
    )

    /// `a` is down 15 s of every 30 s from 60 s on; `b` is steady and a little slower.
    public static let flapping = Scenario(
        name: "flapping every 30 s", duration: 600,
        providers: [
            ScriptedProvider(name: "a") { t in
                let up = TrueBehavior(latency: 0.20)
                return t >= 60 && (t - 60).truncatingRemainder(dividingBy: 30) < 15 ? up.down(.timeout, after: 1.0) : up
            },
            ScriptedProvider(name: "b") { _ in TrueBehavior(latency: 0.22) },
        ],
        troubled: "a", troubleStart: 60
    )

    /// `a` and `b` are within 3%; `a` is cheaper until its price rises tenfold at 240 s.
    public static let priceChange = Scenario(
        name: "price change", duration: 480,
        providers: [
            ScriptedProvider(name: "a", price: Price(perRequest: 0.001), priceChange: (at: 240, to: Price(perRequest: 0.01))) { _ in TrueBehavior(latency: 0.200) },
            ScriptedProvider(name: "b", price: Price(perRequest: 0.002)) { _ in TrueBehavior(latency: 0.206) },
        ],
        troubled: "a", troubleStart: 240
    )

    /// Two providers within 3% of each other for ten minutes.
    public static let nearEqual = Scenario(
        name: "two providers within 3%", duration: 600,
        providers: [
            ScriptedProvider(name: "a") { _ in TrueBehavior(latency: 0.200) },
            ScriptedProvider(name: "b") { _ in TrueBehavior(latency: 0.206) },
        ]
    )

    /// Every provider fails from 60 s to 180 s.
    public static let allDown = Scenario(
        name: "all providers down", duration: 300,
        providers: ["a", "b", "c"].enumerated().map { index, name in
            ScriptedProvider(name: name) { t in
                let up = TrueBehavior(latency: 0.2 + 0.1 * Double(index))
                return (60..<180).contains(t) ? up.down(.connectRefused, after: 0.01) : up
            }
        },
        troubled: "a", troubleStart: 60, troubleEnd: 180
    )
}
