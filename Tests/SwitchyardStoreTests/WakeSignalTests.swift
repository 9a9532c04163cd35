import Foundation
import Logging
import ServiceLifecycle
import SwitchyardCore
@testable import SwitchyardStore
import Testing

/// The writer's gathering pause: up to half a second, ended at once when a commit is awaited.
// Time-limited: a lost signal would otherwise hang the suite for the wait's whole limit.
@Suite(.timeLimit(.minutes(1))) struct WakeSignalTests {
    @Test func aSignalEndsTheWaitAndAnEarlierSignalIsNotLost() async {
        let wake = WakeSignal()
        wake.signal()
        #expect(await wake.wait(upTo: .seconds(600)), "a signal sent before the wait must end it")
        let waiting = Task { await wake.wait(upTo: .seconds(600)) }
        while !wake.hasWaiter { await Task.yield() }  // the waiter waits: now signal it
        wake.signal()
        #expect(await waiting.value, "the signal must end a wait in progress")
    }

    @Test func theLimitEndsAWaitWithoutASignalAndLeavesNoSignalBehind() async {
        let wake = WakeSignal()
        #expect(await wake.wait(upTo: .milliseconds(1)) == false)
        #expect(await wake.wait(upTo: .milliseconds(1)) == false, "an expired wait must not wake the next one as signaled")
        wake.signal()
        #expect(await wake.wait(upTo: .seconds(600)))
    }

    /// A report is answered once committed: the writer must not sit out its gathering pause.
    @Test func waitUntilStoredCommitsWithoutWaitingOutTheGatherPause() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory + "/switchyard.db")
            var settings = StoreWriter.Settings()
            settings.gatherSeconds = 600
            let writer = StoreWriter(store: store, settings: settings, logger: Logger(label: "test"))
            let group = ServiceGroup(configuration: .init(services: [writer], logger: Logger(label: "test")))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let target = Target(provider: ProviderID("p"), model: ModelName("m"))
                for round in 0..<3 {
                    writer.record(Observation(target: target, source: .report, startedAt: Timestamp(secondsSinceEpoch: 1_800_000_000 + Double(round)),
                                              outcome: .ok, totalSeconds: 0.1))
                    #expect(await writer.waitUntilStored(timeout: .seconds(60)), "round \(round)")
                }
                #expect(try store.observationCount() == 3)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
