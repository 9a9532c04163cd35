import Foundation
import GRDB
@testable import SwitchyardStore
import SwitchyardCore
import Testing

private let whisper = Target(provider: ProviderID("speechy"), model: ModelName("whisper"))
private let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000)

/// A speech-to-text target's figure (seconds of compute per second of audio) and a text-to-image
/// target's image counts survive a restart on a real SQLite file, from the tail and from blocks.
@Suite(.timeLimit(.minutes(2))) struct TaskFiguresRestartTests {
    private func transcriptions(count: Int, from start: Double) -> [Observation] {
        (0..<count).map { i in
            var o = Observation(target: whisper, source: i % 2 == 0 ? .probe : .report, startedAt: t0 + start + Double(i) * 10,
                                outcome: .ok, totalSeconds: 1.5)
            o.audioSeconds = 10  // 0.15 s of compute per audio second
            o.images = i == 0 ? 2 : nil
            return o
        }
    }

    private func reasons(after warm: HealthBook.WarmStart) -> [String] {
        let descriptor = TargetDescriptor(target: whisper, upstreamModel: "whisper-1", baseURL: "http://127.0.0.1:1", price: nil,
                                          preferenceOrder: 0, task: .speechToText)
        let book = HealthBook(descriptors: [descriptor], now: t0)
        _ = book.warmStart(warm)
        #expect(book.snapshots()[0].stats.computePerAudioSecond.p50.map { abs($0 - 0.15) < 1e-9 } == true)
        guard case .route(let answer) = book.route(RouteQuery(model: whisper.model, task: .speechToText), now: t0 + 3600) else {
            Issue.record("no route"); return []
        }
        return answer.candidates.first?.reasons ?? []
    }

    @Test func aRestartKeepsTheComputePerAudioSecondAndItsReason() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/switchyard.db"
            do {
                let store = try SQLiteStore(path: path)
                try store.write(transcriptions(count: 6, from: 0).map(StoreRecord.observation))
            }
            let reopened = try SQLiteStore(path: path)
            let warm = try reopened.warmStart(now: t0 + 3600)
            #expect(warm.observations.count == 6)
            #expect(warm.observations.allSatisfy { $0.audioSeconds == 10 })
            #expect(warm.observations.compactMap(\.images) == [2])
            #expect(reasons(after: warm).contains("0.15 s compute per audio s over 6 samples"))
        }
    }

    @Test func compactedBlocksKeepTheTaskFigures() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory + "/switchyard.db")
            try store.write(transcriptions(count: 6, from: 0).map(StoreRecord.observation))
            _ = try store.compact(before: t0 + 1800)
            #expect(try store.observationCount() == 6)
            let warm = try store.warmStart(now: t0 + 3600)
            #expect(warm.observations.allSatisfy { $0.audioSeconds == 10 })
            #expect(warm.observations.compactMap(\.images) == [2])
            #expect(reasons(after: warm).contains("0.15 s compute per audio s over 6 samples"))
        }
    }

    /// A format-1 raw block (written before v8) still reads, without the task figures.
    @Test func aFormatOneRawBlockStillReads() throws {
        let start = Int64(t0.secondsSinceEpoch)
        // One probe at +1 ms: ok, no optional fields, total 100 000 µs.
        let bytes: [UInt8] = [1, 1, StoredCodes.code(of: .ok), 0, 0xa0, 0x8d, 0x06]
        let decoded = try BlockCoding.decodeObservations(bytes, blockStart: start, target: whisper)
        #expect(decoded.count == 1)
        #expect(decoded.first?.totalSeconds == 0.1)
        #expect(decoded.first?.audioSeconds == nil)
    }
}
