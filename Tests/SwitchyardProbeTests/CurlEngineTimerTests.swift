import Glibc
import Synchronization
import Testing
@testable import SwitchyardHTTP

/// The engine's own timers, on its driver thread.
@Suite(.timeLimit(.minutes(5))) struct CurlEngineTimerTests {
    /// A record of which timers fired, from the driver thread.
    final class Fired: Sendable {
        private let ids = Mutex<[Int]>([])
        func record(_ id: Int) { ids.withLock { $0.append(id) } }
        var all: [Int] { ids.withLock { $0.sorted() } }
    }

    @Test func aTimerFiresOnTheDriverThreadNoEarlierThanItsDeadline() async {
        await withStartedEngine { engine in
            let deadline = ContinuousClock.now + .milliseconds(20)
            let onDriverThread = await withCheckedContinuation { continuation in
                _ = engine.schedule(at: deadline) { continuation.resume(returning: pthread_self() == engine.driverThread.load(ordering: .relaxed)) }
            }
            #expect(ContinuousClock.now >= deadline)
            #expect(onDriverThread)
            #expect(engine.timerCount == 0)
        }
    }

    @Test func aCanceledTimerNeverFiresAndShutdownFiresTheRest() throws {
        let engine = CurlEngine()
        engine.start()
        let fired = Fired()
        let far = ContinuousClock.now + .seconds(600)
        let timers = try (1...3).map { id in try #require(engine.schedule(at: far) { fired.record(id) }) }
        #expect(Set(timers).count == 3)
        #expect(engine.timerCount == 3)
        engine.cancelTimer(timers[1])
        engine.cancelTimer(timers[1])  // twice: nothing more
        #expect(engine.timerCount == 2)
        engine.shutdown()
        #expect(fired.all == [1, 3])
        #expect(engine.timerCount == 0)
        #expect(engine.schedule(at: far) { fired.record(4) } == nil)
        engine.cancelTimer(timers[0])  // fired already: nothing
    }

    /// The engine's clock: a sleep is one of its timers and ends on the driver thread at its
    /// deadline; a canceled sleep leaves no timer behind; once the engine stops, sleeps keep time anyway.
    @Test func theEngineClockSleepsOnTheDriverThreadAndCancelingLeavesNoTimer() async throws {
        let engine = CurlEngine()
        engine.start()
        let clock = engine.clock
        let deadline = clock.now + .milliseconds(20)
        try await clock.sleep(until: deadline, tolerance: nil)
        #expect(clock.now >= deadline)
        for _ in 0..<3 {
            let sleep = Task { try await clock.sleep(until: clock.now + .seconds(300), tolerance: nil) }
            try await waitUntil { engine.timerCount == 1 }
            sleep.cancel()
            await #expect(throws: CancellationError.self) { try await sleep.value }
            #expect(engine.timerCount == 0)
        }
        let sleep = Task { try await clock.sleep(until: clock.now + .seconds(300), tolerance: nil) }
        try await waitUntil { engine.timerCount == 1 }
        engine.shutdown()  // fires the sleep's timer
        try await sleep.value
        let afterStop = clock.now + .milliseconds(10)
        try await clock.sleep(until: afterStop, tolerance: nil)
        #expect(clock.now >= afterStop)
        #expect(engine.timerCount == 0)
    }
}

/// Waits (yielding) until `condition` holds, for a task started elsewhere to reach its sleep.
func waitUntil(_ condition: () -> Bool) async throws {
    let limit = ContinuousClock.now + .seconds(5)
    while !condition() {
        try #require(ContinuousClock.now < limit, "condition not met within 5 s")
        await Task.yield()
    }
}
