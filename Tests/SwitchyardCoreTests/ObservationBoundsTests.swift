import SwitchyardCore
import Testing

/// Every observation is bounded before health, statistics, metrics and storage see it: a
/// provider's, caller's or peer's absurd figures come into range, an unbelievable start is dropped.
@Suite struct ObservationBoundsTests {
    static let target = Target(provider: ProviderID("p"), model: ModelName("m"))
    static let start = Timestamp(secondsSinceEpoch: 1_800_000_000)

    static func observation(_ change: (inout Observation) -> Void) -> Observation {
        var observation = Observation(target: target, source: .report, startedAt: start, outcome: .ok, totalSeconds: 1, ttftSeconds: 0.2,
                                      tokensIn: 10, tokensOut: 20, costUSD: 0.01)
        change(&observation)
        return observation
    }

    @Test func aPlainObservationIsUnchanged() throws {
        let plain = Self.observation { _ in }
        #expect(plain.bounded() == plain)
    }

    @Test func absurdFiguresComeIntoRange() throws {
        let bounded = try #require(Self.observation {
            $0.totalSeconds = .infinity
            $0.ttftSeconds = .nan
            $0.tokensIn = .max
            $0.tokensOut = -5
            $0.costUSD = 1e300
            $0.retryAt = Timestamp(secondsSinceEpoch: 1e300)
            $0.tokensPerSecond = .infinity
            $0.audioSeconds = -1
            $0.images = .max
        }.bounded())
        #expect(bounded.totalSeconds == 0 && bounded.ttftSeconds == nil)
        #expect(bounded.tokensIn == Observation.maxTokens && bounded.tokensOut == 0)
        #expect(bounded.costUSD == Observation.maxCostUSD)
        #expect(bounded.retryAt == bounded.finishedAt + RetryAfter.maxSeconds)
        #expect(bounded.tokensPerSecond == nil && bounded.audioSeconds == nil && bounded.images == 10_000)
        #expect(try #require(Self.observation { $0.ttftSeconds = 5 }.bounded()).ttftSeconds == 1, "a TTFT within the total")
        #expect(try #require(Self.observation { $0.retryAt = Timestamp(secondsSinceEpoch: .nan) }.bounded()).retryAt == nil)
    }

    @Test(arguments: [Double.nan, .infinity, 1e300, -1, 4_102_444_800 * 2])
    func anUnbelievableStartIsDropped(_ seconds: Double) {
        #expect(Self.observation { $0.startedAt = Timestamp(secondsSinceEpoch: seconds) }.bounded() == nil)
    }

    /// What the bounds keep the rest from: a health book fed the worst a provider can claim
    /// still formats every figure (it trapped on 10^18 tokens in a millisecond).
    @Test func theHealthBookShowsTheWorstClaimsWithoutTrapping() throws {
        let descriptor = TargetDescriptor(target: Self.target, upstreamModel: "m", baseURL: "http://p", price: nil, preferenceOrder: 0)
        let book = HealthBook(descriptors: [descriptor], now: Self.start)
        for index in 0..<3 {
            let claim = try #require(Self.observation {
                $0.startedAt = Self.start + Double(index)
                $0.totalSeconds = 0.0011
                $0.ttftSeconds = 0.0001
                $0.tokensOut = .max
            }.bounded())
            _ = book.apply(claim)
        }
        let snapshot = try #require(book.snapshots().first)
        #expect(!snapshot.stats.measurementReasons.isEmpty)
    }

    @Test(arguments: [(Double.nan, 0), (.infinity, Int.max), (-.infinity, Int.min), (1e300, Int.max), (-1e300, Int.min), (2.5, 3), (-2.5, -3), (9.3e18, Int.max)])
    func saturatingConversionNeverTraps(_ value: Double, _ expected: Int) {
        #expect(Int(saturating: value) == expected)
    }
}
