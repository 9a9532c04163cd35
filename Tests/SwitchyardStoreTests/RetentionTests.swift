import Foundation
import SwitchyardCore
@testable import SwitchyardStore
import Testing

private let target = Target(provider: ProviderID("p"), model: ModelName("m"))
private let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000)

@Suite struct RetentionTests {
    @Test func expiredRowsArePrunedInSmallTransactionsAndRecentOnesKept() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory + "/switchyard.db")
            // 10 days, one observation per minute.
            let records = (0..<(10 * 1440)).map { i in
                StoreRecord.observation(Observation(target: target, source: .probe, startedAt: t0 + Double(i) * 60, outcome: .ok, totalSeconds: 0.1))
            }
            try store.write(records)
            let now = t0 + 10 * 86_400
            var compaction: CompactionReport
            repeat { compaction = try store.compact(before: now) } while !compaction.finished
            #expect(compaction.finished)
            let retention = RetentionPolicy(rawSeconds: 86_400, minuteRollupSeconds: 3 * 86_400, hourRollupSeconds: 5 * 86_400)
            var turns: [PruneReport] = []
            repeat { turns.append(try store.prune(now: now, retention: retention, rowsPerTransaction: 20, maxTransactions: 1)) } while !turns.last!.finished
            #expect(turns.allSatisfy { $0.transactions <= 1 })
            // Three kinds of blocks expire, one transaction each.
            #expect(turns.count == 4)
            #expect(try store.observationCount() == 1440)
            let minutes = try store.history(HistoryQuery(since: t0, until: now, step: .minute))
            #expect(minutes.count == 3 * 1440)
            #expect(minutes.first?.start == now + -3 * 86_400)
            let hours = try store.history(HistoryQuery(since: t0, until: now, step: .hour))
            // Hour rollups are kept in day blocks, which expire whole: up to a day more is kept.
            #expect(hours.count >= 5 * 24 && hours.count < 6 * 24)
            #expect(try #require(hours.first).start >= now + -6 * 86_400)
            #expect(try store.integrityCheck() == "ok")
        }
    }

    /// The generator, scaled down (20 targets, retention in days, not weeks): once retention is
    /// reached the file stops growing, and a shorter retention shrinks it.
    @Test func theFileStopsGrowingOnceRetentionIsReached() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory + "/switchyard.db")
            var settings = StoreLoadGenerator.Settings()
            settings.targets = 20
            settings.days = 8
            settings.probeIntervalSeconds = 30
            settings.retention = RetentionPolicy(rawSeconds: 86_400, minuteRollupSeconds: 2 * 86_400, hourRollupSeconds: 3 * 86_400)
            let generator = StoreLoadGenerator(settings: settings)
            let samples = try await offPool { try generator.run(into: store) }
            let byDay = Dictionary(samples.map { (Int($0.day.rounded()), $0.bytes) }, uniquingKeysWith: max)
            let atRetention = try #require(byDay[4])
            let atEnd = try #require(byDay[8])
            #expect(Double(atEnd) <= Double(atRetention) * 1.1, "grew from \(atRetention) to \(atEnd) bytes after retention was reached")
            try store.checkpoint()
            let before = store.fileBytes()
            var report: PruneReport
            repeat {
                report = try store.prune(now: settings.start + 8 * 86_400, retention: RetentionPolicy(rawSeconds: 3600, minuteRollupSeconds: 3600, hourRollupSeconds: 86_400))
            } while !report.finished
            try store.checkpoint()
            #expect(report.vacuumedPages > 0)
            #expect(store.fileBytes() < before / 2)
            #expect(try store.integrityCheck() == "ok")
        }
    }
}
