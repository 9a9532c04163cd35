import Testing
@testable import SwitchyardHTTP

/// Jobs of tasks that prefer the engine wait for its one thread only up to a point: beyond
/// `spillThreshold` queued jobs the global executor runs them, so many gateway requests at
/// once use every core instead of queueing behind one thread.
@Suite(.timeLimit(.minutes(1))) struct CurlEngineSpillTests {
    @Test func jobsBeyondTheThresholdRunElsewhereWhileTheThreadCannotTakeThem() async {
        let engine = CurlEngine()  // not started yet: its queue waits exactly as behind a busy thread
        defer { engine.shutdown() }
        let (finished, finish) = AsyncStream.makeStream(of: Int.self)
        let count = CurlEngine.spillThreshold + 6
        for index in 0..<count {
            Task(executorPreference: engine) { finish.yield(index) }
        }
        var done = finished.makeAsyncIterator()
        for _ in 0..<(count - CurlEngine.spillThreshold) { _ = await done.next() }
        // The spilled ones ran; exactly the threshold still waits for the thread.
        #expect(engine.queuedJobCount == CurlEngine.spillThreshold)
        engine.start()
        for _ in 0..<CurlEngine.spillThreshold { _ = await done.next() }
        #expect(engine.queuedJobCount == 0)
    }
}
