@testable import SwitchyardServer
import SwitchyardCore
import Testing

/// A probe that read its target's series before a reload removed the target may record after
/// the series was unregistered: it must not bring the target's histograms back.
@Suite struct ProbeHistogramsTests {
    @Test func aRetiredSeriesRecordsNothing() {
        let metrics = SwitchyardMetrics(targets: [], version: "test")
        let histograms = ProbeHistograms(labels: [("provider", "gone"), ("model", "m")], registry: metrics.registry)
        let timings = PhaseTimings(total: 0.2)
        histograms.record(timings)
        histograms.recordTTFT(seconds: 0.1)
        histograms.recordTokensPerSecond(50)
        let before = String(decoding: metrics.exposition(), as: UTF8.self)
        #expect(before.contains(#"switchyard_probe_ttft_seconds_count{provider="gone",model="m"} 1"#))
        #expect(before.contains(#"switchyard_probe_duration_seconds_count{provider="gone",model="m",phase="total"} 1"#))

        histograms.unregister(from: metrics.registry)
        histograms.record(timings)
        histograms.recordTTFT(seconds: 0.1)
        histograms.recordTokensPerSecond(50)
        #expect(!String(decoding: metrics.exposition(), as: UTF8.self).contains(#"provider="gone""#))
    }
}
