import Foundation
import SwitchyardCore
@testable import SwitchyardStore
import Testing

private let target = Target(provider: ProviderID("p"), model: ModelName("m"))
private let other = Target(provider: ProviderID("q"), model: ModelName("m"))
private let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000)  // a multiple of 3600

@Suite struct RollupTests {
    @Test func histogramsEncodeAndMergeExactly() {
        var a = LatencyHistogram()
        for ms in [0.2, 1, 5, 5, 80, 1000, 300_000] { a.add(milliseconds: ms) }
        #expect(RollupCoding.decodeHistogram(RollupCoding.encode(a)) == a)
        var b = LatencyHistogram()
        b.add(milliseconds: 5, count: 1000)
        var merged = a
        merged.merge(b)
        #expect(merged.total == 1007)
        #expect(RollupCoding.decodeHistogram(RollupCoding.encode(merged)) == merged)
        #expect(RollupCoding.decodeFailures(RollupCoding.encode(["timeout": 2, "server_error": 1])) == ["timeout": 2, "server_error": 1])
    }

    @Test func rollupsAreWrittenWithTheRawRowsAndAnHoursP99MergesItsMinutes() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory + "/switchyard.db")
            // Two hours, one observation every 10 s; latency grows with the minute so minutes differ.
            var records: [StoreRecord] = []
            for i in 0..<720 {
                let minute = Double(i / 6 % 60)
                let outcome: Outcome = i % 50 == 0 ? .failure(.serverError) : .ok
                records.append(.observation(Observation(
                    target: target, source: i % 4 == 0 ? .report : .probe, startedAt: t0 + Double(i) * 10, outcome: outcome,
                    totalSeconds: (20 + minute * 10) / 1000, ttftSeconds: 0.01, tokensIn: 9, tokensOut: 16, costUSD: 0.000001
                )))
            }
            // In small batches, as the writer commits them: rollups merge across batches.
            for start in stride(from: 0, to: records.count, by: 97) { try store.write(Array(records[start..<min(start + 97, records.count)])) }

            let minutes = try store.history(HistoryQuery(provider: target.provider, since: t0, until: t0 + 7200, step: .minute))
            let hours = try store.history(HistoryQuery(provider: target.provider, since: t0, until: t0 + 7200, step: .hour))
            #expect(minutes.count == 120)
            #expect(minutes.allSatisfy { $0.count == 6 })
            #expect(hours.map(\.count) == [360, 360])
            #expect(hours.map(\.reports) == [90, 90])
            #expect(hours[0].failures == [.serverError: 8])
            #expect(hours[0].tokensOut == 360 * 16)
            #expect(abs(hours[0].costUSD - 0.00036) < 1e-12)
            var merged = LatencyHistogram()
            for minute in minutes.prefix(60) { merged.merge(minute.latency) }
            #expect(merged == hours[0].latency)
            #expect(hours[0].latency.quantile(0.99) == merged.quantile(0.99))
            let p99 = try #require(hours[0].latency.quantile(0.99))
            #expect(p99 > 600 * 0.9 && p99 < 610 * 1.1)
            // Probe spend: only probes, per provider and UTC day.
            let spend = try store.probeSpend(provider: target.provider, day: t0)
            #expect(spend.probes == 540)
            #expect(abs(spend.usd - 0.00054) < 1e-12)
            #expect(try store.history(HistoryQuery(provider: other.provider, since: t0, until: t0 + 7200, step: .minute)).isEmpty)
        }
    }

    @Test func eventsComeNewestFirstFromSince() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory + "/switchyard.db")
            try store.write((0..<10).map { i in
                .transition(Transition(target: target, from: .healthy, to: .degraded, at: t0 + Double(i), reason: "r\(i)"))
            })
            let events = try store.events(since: t0 + 5, limit: 3)
            #expect(events.map(\.reason) == ["r9", "r8", "r7"])
            #expect(try store.events(since: t0 + 8, limit: 100).count == 2)
        }
    }
}
