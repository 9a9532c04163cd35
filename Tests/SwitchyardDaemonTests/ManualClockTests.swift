import Synchronization
import SwitchyardCore
import Testing

/// The shared test clock: sleepers wake in deadline order exactly when an advance reaches
/// their deadline, and a canceled sleeper throws at once.
@Suite(.timeLimit(.minutes(1))) struct ManualClockTests {
    @Test func sleepersWakeInDeadlineOrderWhenTheirDeadlineIsReached() async throws {
        let clock = ManualClock()
        let woke = Wakes()
        func sleeper(_ name: String, seconds: Int) -> Task<Void, any Error> {
            Task {
                try await clock.sleep(until: ManualClock.Instant(offset: .seconds(seconds)))
                woke.append(name, at: clock.now.offset)
            }
        }
        let late = sleeper("late", seconds: 3)
        let early = sleeper("early", seconds: 1)
        let middle = sleeper("middle", seconds: 2)
        await clock.waitForSleepers(3)
        clock.advance(by: .milliseconds(999))
        #expect(clock.sleeperCount == 3)
        clock.advance(by: .milliseconds(1))
        try await early.value
        #expect(woke.names == ["early"] && woke.first == .seconds(1))
        #expect(clock.sleeperCount == 2)
        clock.advance(to: ManualClock.Instant(offset: .seconds(5)))
        try await middle.value
        try await late.value
        #expect(Set(woke.names) == ["early", "middle", "late"])
        #expect(clock.now.offset == .seconds(5))
    }

    @Test func aDeadlineInThePastReturnsAtOnceAndTimeNeverGoesBack() async throws {
        let clock = ManualClock()
        clock.advance(by: .seconds(2))
        try await clock.sleep(until: ManualClock.Instant(offset: .seconds(1)))
        clock.advance(to: ManualClock.Instant(offset: .seconds(1)))
        #expect(clock.now.offset == .seconds(2))
        #expect(clock.wall.now() == clock.epoch + 2)
    }

    @Test func cancelingASleeperThrowsAndLeavesNoSleeperBehind() async throws {
        let clock = ManualClock()
        let sleeper = Task { try await clock.sleep(for: .seconds(60)) }
        await clock.waitForSleepers(1)
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.sleeperCount == 0)
        let canceledFirst = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await clock.sleep(for: .seconds(1))
        }
        await #expect(throws: CancellationError.self) { try await canceledFirst.value }
        #expect(clock.sleeperCount == 0)
    }
}

/// Which sleeper woke, and when.
private final class Wakes: Sendable {
    private let wakes = Mutex<[(name: String, at: Duration)]>([])
    func append(_ name: String, at: Duration) { wakes.withLock { $0.append((name, at)) } }
    var names: [String] { wakes.withLock { $0.map(\.name) } }
    var first: Duration? { wakes.withLock { $0.first?.at } }
}
