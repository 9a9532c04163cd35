import Logging
import Synchronization
@testable import SwitchyardDaemon
import Testing

/// The watchdog's cadence and its stop when the daemon wedges, stepped on a manual clock:
/// exact instants, no sleeping.
@Suite(.timeLimit(.minutes(1))) struct WatchdogServiceTests {
    @Test func feedsEveryHalfTimeoutWhileTheDaemonProgressesAndNotWhileItIsWedged() async throws {
        let clock = ManualClock()
        let wedged = Atomic<Bool>(false)
        let pings = Mutex<[Duration]>([])
        let logs = LogCapture()
        let service = WatchdogService(
            period: .milliseconds(500), clock: clock,
            progress: { .init(overdueTargets: wedged.load(ordering: .relaxed) ? 2 : 0, writing: true) },
            feed: { pings.withLock { $0.append(clock.now.offset) } }, logger: logs.logger()
        )
        func step(_ duration: Duration) async {
            clock.advance(by: duration)
            await clock.waitForSleepers(1)  // the loop has acted and sleeps again
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            await clock.waitForSleepers(1)
            for _ in 0..<3 { await step(.milliseconds(500)) }
            clock.advance(by: .milliseconds(499))  // a moment before the next deadline: the loop still sleeps
            #expect(clock.sleeperCount == 1)
            await step(.milliseconds(1))
            #expect(pings.withLock { $0 } == [.zero, .milliseconds(500), .seconds(1), .milliseconds(1500), .seconds(2)])

            wedged.store(true, ordering: .relaxed)
            for _ in 0..<3 { await step(.milliseconds(500)) }
            #expect(pings.withLock { $0.count } == 5, "fed while wedged: \(pings.withLock { $0 })")
            #expect(logs.lines(containing: "not feeding the systemd watchdog").count == 1)
            #expect(logs.lines(containing: #""overdue_targets": 2"#).count == 1)

            wedged.store(false, ordering: .relaxed)
            await step(.milliseconds(500))
            #expect(pings.withLock { $0.last } == .seconds(4))
            group.cancelAll()
        }
    }

}
