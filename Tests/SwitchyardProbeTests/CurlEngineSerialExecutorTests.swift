import Glibc
import Testing
@testable import SwitchyardHTTP

/// An actor that lives on an engine's thread, as the probe scheduler does; it counts without a
/// lock and notes whether it ran on the driver thread and at the same time as itself.
private actor OnEngine {
    let engine: CurlEngine
    private(set) var count = 0
    private(set) var offThread = 0
    private(set) var overlapped = 0
    private var inside = false

    init(_ engine: CurlEngine) { self.engine = engine }

    nonisolated var unownedExecutor: UnownedSerialExecutor { engine.serialExecutor.asUnownedSerialExecutor() }

    /// Counts one, and whether this call ran where it should, yielding in the middle so that a
    /// second job run beside it (not after it) would find `inside` set.
    func bump(expectDriverThread: Bool) async {
        if inside { overlapped += 1 }
        inside = true
        if expectDriverThread, pthread_self() != engine.driverThread.load(ordering: .relaxed) { offThread += 1 }
        for _ in 0..<50 { _ = count &+ 1 }
        count += 1
        inside = false
        await Task.yield()
    }
}

/// The engine's thread as a `SerialExecutor`: an actor on it runs there, one job at a time;
/// once the engine has stopped, its jobs still run one at a time.
@Suite(.timeLimit(.minutes(2))) struct CurlEngineSerialExecutorTests {
    @Test func anActorOnTheEngineRunsOnItsThreadOneJobAtATime() async {
        let engine = CurlEngine()
        engine.start()
        let actor = OnEngine(engine)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<200 { group.addTask { await actor.bump(expectDriverThread: true) } }
        }
        #expect(await actor.count == 200)
        #expect(await actor.offThread == 0, "every job of the actor ran on the driver thread")
        #expect(await actor.overlapped == 0)
        engine.shutdown()
        // Stopped: the actor's jobs run on the late queue, still one at a time.
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<200 { group.addTask { await actor.bump(expectDriverThread: false) } }
        }
        #expect(await actor.count == 400)
        #expect(await actor.overlapped == 0)
    }

    @Test func anActorOnAnEngineNeverStartedRunsOnceItIsShutDown() async {
        let engine = CurlEngine()
        let actor = OnEngine(engine)
        let waiting = Task { await actor.bump(expectDriverThread: false) }
        engine.shutdown()  // settles the jobs posted while it never ran
        await waiting.value
        #expect(await actor.count == 1)
    }
}
