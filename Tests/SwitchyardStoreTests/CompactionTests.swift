import Foundation
import GRDB
import SwitchyardCore
@testable import SwitchyardStore
import Testing

private let target = Target(provider: ProviderID("p"), model: ModelName("m"))
private let other = Target(provider: ProviderID("q"), model: ModelName("m"))
private let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000)  // a multiple of 3600

/// Two hours of one target, one observation every 10 s, latency growing with the minute so
/// minutes differ; every 4th a client report, every 50th a server error.
private func twoHours() -> [Observation] {
    (0..<720).map { i in
        let minute = Double(i / 6 % 60)
        return Observation(
            target: target, source: i % 4 == 0 ? .report : .probe, startedAt: t0 + Double(i) * 10,
            outcome: i % 50 == 0 ? .failure(.serverError) : .ok, httpStatus: i % 50 == 0 ? 502 : 200,
            totalSeconds: (20 + minute * 10) / 1000, ttftSeconds: 0.01, tokensIn: 9, tokensOut: 16, costUSD: 0.000001,
            message: i % 50 == 0 ? "HTTP 502" : nil)
    }
}

@Suite struct CompactionTests {
    @Test func blocksRoundTripEveryFieldAndRollupsMergeExactly() throws {
        let observation = Observation(
            target: target, source: .report, startedAt: t0 + 12.345, outcome: .failure(.rateLimited), httpStatus: 429,
            totalSeconds: 0.125, ttftSeconds: 0.05, tokensIn: 9, tokensOut: 16, costUSD: 0.0001, retryAt: t0 + 42.345, message: "HTTP 429 ✓")
        let plain = Observation(target: target, source: .probe, startedAt: t0 + 1, outcome: .ok, totalSeconds: 0.000_7)
        let bytes = BlockCoding.encode(observations: [observation, plain], blockStart: Int64(t0.secondsSinceEpoch))
        let decoded = try BlockCoding.decodeObservations(bytes, blockStart: Int64(t0.secondsSinceEpoch), target: target)
        #expect(decoded == [plain, observation])  // in start order
        // Encoding what was decoded gives the same bytes: merging a late observation loses nothing.
        #expect(BlockCoding.encode(observations: decoded, blockStart: Int64(t0.secondsSinceEpoch)) == bytes)
        // A truncated block is refused, not half-read.
        #expect(throws: ByteReader.Malformed.self) {
            try BlockCoding.decodeObservations(Array(bytes.dropLast(3)), blockStart: Int64(t0.secondsSinceEpoch), target: target)
        }

        var a = Rollup()
        for o in twoHours().prefix(100) { a.add(o) }
        var b = Rollup()
        for o in twoHours().suffix(100) { b.add(o) }
        let stored = try BlockCoding.decodeRollups(BlockCoding.encode(rollups: [3: a, 59: b]))
        #expect(stored.map(\.slot) == [3, 59])
        #expect(stored.map(\.rollup) == [a, b])
        var merged = a
        merged.merge(b)
        #expect(merged.count == 200)
        #expect(merged.latency.total == a.latency.total + b.latency.total)
        // Every error class has a stored code that reads back as itself.
        for errorClass in ErrorClass.allCases {
            #expect(StoredCodes.errorClass(code: StoredCodes.code(of: errorClass)) == errorClass)
        }
        // Deflate pays off on a real block: two hours of observations shrink to well under half.
        let block = BlockCoding.encode(observations: twoHours(), blockStart: Int64(t0.secondsSinceEpoch))
        let compressed = Deflate.compress(block, level: BlockKind.raw.compressionLevel)
        #expect(compressed.count * 2 < block.count)
        #expect(try compressed.withUnsafeBytes { try Deflate.decompress($0, size: block.count) } == block)
        #expect(throws: Deflate.Failure.self) { try compressed.dropLast(4).withUnsafeBytes { try Deflate.decompress(UnsafeRawBufferPointer($0), size: block.count) } }
    }

    /// History is the same whether the observations are still in the tail or compacted,
    /// and an hour's p99 comes from merging its minutes.
    @Test func historyIsTheSameBeforeAndAfterCompactionAndAnHoursP99MergesItsMinutes() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory + "/switchyard.db")
            let records = twoHours().map(StoreRecord.observation)
            // In small batches, as the writer commits them.
            for start in stride(from: 0, to: records.count, by: 97) { try store.write(Array(records[start..<min(start + 97, records.count)])) }
            let minuteQuery = HistoryQuery(provider: target.provider, since: t0, until: t0 + 7200, step: .minute)
            let hourQuery = HistoryQuery(provider: target.provider, since: t0, until: t0 + 7200, step: .hour)
            let minutesFromTail = try store.history(minuteQuery)
            let hoursFromTail = try store.history(hourQuery)
            // Half of the tail folded into live minutes, then all of it: the same answers.
            #expect(try store.summarizeTail(rowsPerTransaction: 360, maxTransactions: 1) == 360)
            #expect(try store.history(minuteQuery) == minutesFromTail)
            #expect(try store.summarizeTail() == 360)
            #expect(try store.history(minuteQuery) == minutesFromTail)
            #expect(try store.history(hourQuery).map(\.latency) == hoursFromTail.map(\.latency))

            let report = try store.compact(before: t0 + 7200)
            #expect(report == CompactionReport(observations: 720, periods: 2, transactions: 1, finished: true))
            #expect(try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM observations") } == 0)
            #expect(try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM live_minutes") } == 0)
            let minutes = try store.history(minuteQuery)
            let hours = try store.history(hourQuery)
            #expect(minutes == minutesFromTail)
            #expect(hours.map(\.count) == hoursFromTail.map(\.count))
            #expect(hours.map(\.latency) == hoursFromTail.map(\.latency))

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
            let p99 = try #require(hours[0].latency.quantile(0.99))
            #expect(p99 > 600 * 0.9 && p99 < 610 * 1.1)
            // The raw observations are all still there, in order, to the millisecond.
            let stored = try store.observations(of: target, limit: 1000)
            #expect(stored.count == 720)
            #expect(stored.map(\.startedAt) == twoHours().map(\.startedAt))
            #expect(stored.filter { $0.message == "HTTP 502" }.count == 15)
            // Probe spend: only probes, per provider and UTC day.
            let spend = try store.probeSpend(provider: target.provider, day: t0)
            #expect(spend.probes == 540)
            #expect(abs(spend.usd - 0.00054) < 1e-12)
            #expect(try store.history(HistoryQuery(provider: other.provider, since: t0, until: t0 + 7200, step: .minute)).isEmpty)
        }
    }

    /// An observation that arrives after its hour was compacted (a report sent late, a probe
    /// that finished after the grace) waits in the tail, counts in history at once, and merges
    /// into the hour's blocks at the next compaction.
    @Test func lateObservationsMergeIntoCompactedHours() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory + "/switchyard.db")
            try store.write(twoHours().prefix(360).map(StoreRecord.observation))
            try store.summarizeTail()
            _ = try store.compact(before: t0 + 3600)
            let late = Observation(target: target, source: .report, startedAt: t0 + 1805, outcome: .failure(.timeout), totalSeconds: 30)
            // The tail was emptied; the late row's id still comes after every summarized one.
            try store.write([.observation(late)])
            let minuteQuery = HistoryQuery(provider: target.provider, since: t0 + 1800, until: t0 + 1860, step: .minute)
            let before = try #require(try store.history(minuteQuery).first)
            #expect(before.count == 7)
            #expect(before.failures[.timeout] == 1)
            #expect(try store.summarizeTail() == 1)
            #expect(try store.history(minuteQuery) == [before])
            #expect(try store.compact(before: t0 + 3600).observations == 1)
            #expect(try store.history(minuteQuery) == [before])
            #expect(try store.history(HistoryQuery(since: t0, until: t0 + 3600, step: .hour)).map(\.count) == [361])
            #expect(try store.observationCount() == 361)
            #expect(try store.observations(of: target, limit: 1000).contains(late))
            // Two raw half-hours, the hour's minutes, the day's hours: each kind counts all 361.
            let counts = try store.pool.read { db in try [Int](Int.fetchAll(db, sql: "SELECT sum(count) FROM blocks GROUP BY kind ORDER BY kind")) }
            #expect(counts == [361, 361, 361])
        }
    }

    /// Compaction takes a bounded number of target-hours per transaction and resumes where it stopped.
    @Test func compactionIsBoundedAndResumes() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory + "/switchyard.db")
            let records = (0..<(10 * 60)).flatMap { minute in
                [target, other].map { StoreRecord.observation(Observation(target: $0, source: .probe, startedAt: t0 + Double(minute) * 60, outcome: .ok, totalSeconds: 0.1)) }
            }
            try store.write(records)
            let first = try store.compact(before: t0 + 36_000, periodsPerTransaction: 3, maxTransactions: 2)
            #expect(first.periods == 6)
            #expect(!first.finished)
            let rest = try store.compact(before: t0 + 36_000, periodsPerTransaction: 3, maxTransactions: 100)
            #expect(first.periods + rest.periods == 20)
            #expect(rest.finished)
            #expect(try store.observationCount() == 1200)
            #expect(try store.history(HistoryQuery(since: t0, until: t0 + 36_000, step: .hour)).count == 20)
            #expect(try store.integrityCheck() == "ok")
        }
    }

    /// A restart after compaction: warm start finds the newest observations in the raw blocks
    /// and the tail alike, newest first, at most `perTarget`, none older than the lookback.
    @Test func warmStartReadsCompactedHoursAndTheTail() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory + "/switchyard.db")
            let all = twoHours()
            try store.write(all.map(StoreRecord.observation))
            _ = try store.compact(before: t0 + 3600)  // the first hour into blocks, the second stays in the tail
            let now = t0 + 7200
            let warm = try store.warmStart(now: now, lookbackSeconds: 5400, perTarget: 1000)
            #expect(warm.observations.count == 540)  // 90 minutes of one every 10 s
            #expect(warm.observations.map(\.startedAt) == all.suffix(540).reversed().map(\.startedAt), "not the newest 540, newest first")
            let limited = try store.warmStart(now: now, lookbackSeconds: 7200, perTarget: 400)
            #expect(limited.observations.count == 400)
            #expect(limited.observations.map(\.startedAt) == all.suffix(400).reversed().map(\.startedAt), "not the newest 400, newest first")
        }
    }

    /// Corrupt bytes are refused with an error, never a trap: huge varints, bucket indexes past
    /// the last bucket, start offsets that would overflow.
    @Test func corruptBlockContentsThrowInsteadOfTrapping() {
        let huge: [UInt8] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]
        let start = Int64(t0.secondsSinceEpoch)
        #expect(throws: ByteReader.Malformed.self) { try BlockCoding.decodeObservations([BlockCoding.format] + huge + [0, 0, 1], blockStart: start, target: target) }
        #expect(throws: ByteReader.Malformed.self) { try BlockCoding.decodeRollups([BlockCoding.format, 0, 1, 0, 0] + huge) }
        // A histogram whose second bucket index is past the last one.
        #expect(throws: ByteReader.Malformed.self) { try BlockCoding.decodeRollups([BlockCoding.format, 0, 2, 0, 0, 2, 90, 1, 10, 1, 0, 0, 0, 0]) }
        #expect(throws: ByteReader.Malformed.self) { try BlockCoding.decodeRollups([BlockCoding.format, 0xff, 0xff, 0x03]) }
        // An observation a hair before a half-hour boundary stays in its block when its time is rounded.
        let edge = Observation(target: target, source: .probe, startedAt: t0 + 1799.9996, outcome: .ok, totalSeconds: 0.1)
        let decoded = try? BlockCoding.decodeObservations(BlockCoding.encode(observations: [edge], blockStart: start), blockStart: start, target: target)
        #expect(decoded.map { $0[0].startedAt < t0 + 1800 } == true)
    }

    /// A stored block damaged on disk: history skips it instead of failing every read, and the
    /// next compaction into it moves it to `damaged_blocks` and carries on.
    @Test func aDamagedBlockIsSkippedByReadsAndMovedAsideByCompaction() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory + "/switchyard.db")
            try store.write(twoHours().map(StoreRecord.observation))
            _ = try store.compact(before: t0 + 7200)
            try store.pool.write { db in
                try db.execute(sql: "UPDATE blocks SET data = zeroblob(length(data)) WHERE kind = 1 AND start = ?", arguments: [Int64(t0.secondsSinceEpoch)])
            }
            let minutes = try store.history(HistoryQuery(since: t0, until: t0 + 7200, step: .minute))
            #expect(minutes.count == 60)  // the first hour's minutes are lost, the second's are read
            try store.write([.observation(Observation(target: target, source: .report, startedAt: t0 + 10, outcome: .ok, totalSeconds: 0.2))])
            let report = try store.compact(before: t0 + 7200)
            #expect(report.damagedBlocks == 1)
            #expect(report.observations == 1)
            #expect(try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM damaged_blocks") } == 1)
            #expect(try store.history(HistoryQuery(since: t0, until: t0 + 60, step: .minute)).map(\.count) == [1])
            #expect(try store.integrityCheck() == "ok")
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
