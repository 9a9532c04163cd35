import SwitchyardCore
import Testing

/// The gateway's hedging decisions as a value: when a first attempt is hedged and how many
/// hedges the `max_extra` budget allows, with given numbers (no clock, no sockets).
struct HedgeStateTests {
    static let p95 = HedgeSettings(trigger: .quantile(0.95), maxExtra: 0.05)

    @Test func aQuantileNeedsTwentySamplesBeforeAnyHedge() {
        var state = HedgeState()
        for millisecond in 1...19 { state.record(firstByteSeconds: Double(millisecond) / 1000) }
        #expect(state.admit(Self.p95) == nil, "19 samples: too few to trust a p95")
        state.record(firstByteSeconds: 0.020)
        #expect(state.admit(Self.p95) == 0.019, "nearest-rank p95 of 1…20 ms is the 19th")
        #expect(state.admit(HedgeSettings(trigger: .quantile(0.5), maxExtra: 0.05)) == 0.010)
        #expect(state.admit(HedgeSettings(trigger: .quantile(0.99), maxExtra: 0.05)) == 0.020)
    }

    @Test func aFixedDelayHedgesFromTheFirstRequest() {
        var state = HedgeState()
        #expect(state.admit(HedgeSettings(trigger: .seconds(0.8), maxExtra: 0.05)) == 0.8)
    }

    @Test func theBudgetEarnsMaxExtraPerRequestAndAHedgeSpendsOne() {
        var state = HedgeState()
        var hedges = 0
        // 100 requests, every one slow enough to hedge: 5 % allows exactly 5 (credit in exact millionths, not 0.05 summed in floating point).
        for _ in 0..<100 {
            _ = state.admit(Self.p95)
            if state.spend() { hedges += 1 }
        }
        #expect(hedges == 5)
        #expect(state.credit == 0)
        // 19 requests earn 0.95: no hedge yet; the 20th makes one.
        for _ in 0..<19 { _ = state.admit(Self.p95) }
        #expect(!state.spend() && state.credit == 0.95)
        _ = state.admit(Self.p95)
        #expect(state.spend() && !state.spend())
    }

    @Test func aQuietPeriodBanksAtMostTenHedges() {
        var state = HedgeState()
        for _ in 0..<1000 { _ = state.admit(HedgeSettings(trigger: .seconds(1), maxExtra: 0.5)) }
        #expect(state.credit == Double(HedgeState.maximumCredit))
        var burst = 0
        while state.spend() { burst += 1 }
        #expect(burst == 10)
    }

    @Test func aCanceledLosersTimeKeepsTheQuantileAboveTheFastPart() {
        // 95 fast first bytes and 5 first attempts canceled at 300 ms after losing a race: their real
        // times are unknown but above 300 ms, so p95 stays the fastest's top and p99 is in the tail.
        var state = HedgeState()
        for index in 0..<95 { state.record(firstByteSeconds: 0.010 + Double(index) / 10_000) }
        for _ in 0..<5 { state.record(firstByteSeconds: 0.300) }
        #expect(state.admit(Self.p95) == 0.010 + 94.0 / 10_000)
        #expect(state.admit(HedgeSettings(trigger: .quantile(0.99), maxExtra: 0.05)) == 0.300)
    }

    @Test func namedQuantilesAreTheOnesAfterAccepts() {
        #expect(HedgeTrigger.namedQuantiles.map(\.name) == ["p50", "p90", "p95", "p99"])
        #expect(HedgeTrigger.quantile(0.95).quantileName == "p95")
        #expect(HedgeTrigger.seconds(1).quantileName == nil)
    }
}
