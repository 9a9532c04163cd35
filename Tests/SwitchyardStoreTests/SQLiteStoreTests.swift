import Foundation
import Logging
import ServiceLifecycle
import SwitchyardCore
import SwitchyardStore
import Testing

private let target = Target(provider: ProviderID("p"), model: ModelName("m"))
private let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000)

@Suite(.timeLimit(.minutes(5))) struct SQLiteStoreTests {
    @Test func observationsAndTransitionsRoundTripThroughAFile() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/switchyard.db"
            let observation = Observation(
                target: target, source: .probe, startedAt: t0, outcome: .failure(.rateLimited), httpStatus: 429,
                totalSeconds: 0.125, ttftSeconds: 0.05, tokensIn: 9, tokensOut: 16, costUSD: 0.0001, retryAt: t0 + 30, message: "HTTP 429"
            )
            let transition = Transition(target: target, from: .healthy, to: .rateLimited, at: t0 + 0.125, reason: "rate limited until 08:00:30Z")
            do {
                let store = try SQLiteStore(path: path)
                try store.write([.observation(observation), .transition(transition)])
            }
            // A second open (a restart) reads what the first committed.
            let reopened = try SQLiteStore(path: path)
            #expect(try reopened.observations(of: target) == [observation])
            #expect(try reopened.transitions() == [transition])
            #expect(try reopened.integrityCheck() == "ok")
        }
    }

    @Test func aFileThatIsNotSQLiteIsRefusedAndLeftAlone() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/switchyard.db"
            let content = Data(String(repeating: "not a database, just text\n", count: 200).utf8)
            try content.write(to: URL(fileURLWithPath: path))
            let error = try #require(throws: StoreError.self) { try SQLiteStore(path: path) }
            #expect(error.description.contains(path))
            #expect(error.description.contains("move it aside"))
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == content)
        }
    }

    @Test func writerCommitsEverythingQueuedBeforeShutdown() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory + "/switchyard.db")
            let writer = StoreWriter(store: store, maxBatch: 100, logger: Logger(label: "test"))
            let group = ServiceGroup(configuration: .init(services: [writer], logger: Logger(label: "test")))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                for index in 0..<1000 {
                    writer.record(Observation(target: target, source: .report, startedAt: t0 + Double(index), outcome: .ok, totalSeconds: 0.1))
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            #expect(try store.observations(of: target, limit: 5000).count == 1000)
            #expect(writer.droppedRecords == 0)
        }
    }

    @Test func fullQueueDropsAndCountsInsteadOfBlocking() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory + "/switchyard.db")
            let writer = StoreWriter(store: store, capacity: 10, logger: Logger(label: "test"))
            for index in 0..<15 {
                writer.record(Observation(target: target, source: .probe, startedAt: t0 + Double(index), outcome: .ok, totalSeconds: 0.1))
            }
            #expect(writer.queueDepth == 10)
            #expect(writer.droppedRecords == 5)
        }
    }
}
