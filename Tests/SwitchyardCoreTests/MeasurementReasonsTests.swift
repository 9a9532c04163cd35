import SwitchyardCore
import Testing

/// `TargetStats.measurementReasons` is rebuilt only when a figure it prints changes, and then
/// says the same as a rebuild from scratch would.
@Suite struct MeasurementReasonsTests {
    let target = Target(provider: ProviderID("p"), model: ModelName("m"))
    let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000)

    func answered(_ seconds: Double, at offset: Double) -> Observation {
        Observation(target: target, source: .report, startedAt: t0 + offset, outcome: .ok, totalSeconds: seconds, ttftSeconds: seconds / 4, tokensOut: 40)
    }

    @Test func theReasonsFollowEveryPrintedFigureAndOnlyThose() {
        var stats = TargetStats()
        for i in 0..<128 { stats.record(answered(0.200, at: Double(i)), weight: 1, halfLifeSeconds: 300) }
        let full = stats.measurementReasons
        #expect(full.first == "p50 latency 200 ms over 128 samples")
        // A full window, a sample that moves no rounded figure and no count: the same reasons.
        stats.record(answered(0.2002, at: 200), weight: 1, halfLifeSeconds: 300)
        #expect(stats.measurementReasons == full)
        // Samples that move the median: the reasons say the new one, as a fresh window would.
        for i in 0..<70 { stats.record(answered(0.360, at: 300 + Double(i)), weight: 1, halfLifeSeconds: 300) }
        #expect(stats.measurementReasons.first == "p50 latency 360 ms over 128 samples")
        #expect(stats.measurementReasons.dropFirst().first == "p50 TTFT 90 ms over 128 samples")
        // A catalog prior changes the wording even when no figure moved.
        stats.setPrior(CatalogPrior(totalSeconds: 0.5, weight: 1_000))
        #expect(stats.measurementReasons.first?.hasSuffix("(catalog 500 ms blended with 128 local samples)") == true)
    }
}
