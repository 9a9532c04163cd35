import SwitchyardCore
import Testing

private let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000)

/// Idempotency memory of report batches: per caller, 10 minutes, bounded — exact, with instants.
@Suite struct RecentAnswersTests {
    typealias Key = RecentAnswers<Int>.Key

    @Test func anAnswerIsKeptPerCallerForItsLifetimeExactly() {
        var recent = RecentAnswers<Int>(capacity: 4096, lifetimeSeconds: 600)
        recent.remember(7, for: Key(caller: "batch-jobs", id: "b1"), at: t0)
        #expect(recent.answer(for: Key(caller: "batch-jobs", id: "b1"), now: t0 + 599.999) == 7)
        #expect(recent.answer(for: Key(caller: "notebook", id: "b1"), now: t0 + 1) == nil, "another caller's id is its own")
        #expect(recent.answer(for: Key(caller: "batch-jobs", id: "b2"), now: t0 + 1) == nil)
        #expect(recent.answer(for: Key(caller: "batch-jobs", id: "b1"), now: t0 + 600) == nil, "forgotten at 10 minutes")
        #expect(recent.count == 0)
    }

    @Test func theOldestAreForgottenBeyondTheCapacity() {
        var recent = RecentAnswers<Int>(capacity: 3, lifetimeSeconds: 600)
        for index in 0..<5 { recent.remember(index, for: Key(caller: "c", id: "b\(index)"), at: t0 + Double(index)) }
        #expect(recent.count == 3)
        #expect((0..<5).map { recent.answer(for: Key(caller: "c", id: "b\($0)"), now: t0 + 10) } == [nil, nil, 2, 3, 4])
        // Ageing out goes oldest first too.
        #expect(recent.answer(for: Key(caller: "c", id: "b2"), now: t0 + 602) == nil)
        #expect(recent.answer(for: Key(caller: "c", id: "b3"), now: t0 + 602) == 3)
    }

    @Test func manyIdsStayBoundedAndCorrect() {
        var recent = RecentAnswers<Int>(capacity: 4096, lifetimeSeconds: 600)
        for index in 0..<20_000 { recent.remember(index, for: Key(caller: "c", id: "\(index)"), at: t0 + Double(index) * 0.01) }
        #expect(recent.count == 4096)
        #expect(recent.answer(for: Key(caller: "c", id: "19999"), now: t0 + 200) == 19_999)
        #expect(recent.answer(for: Key(caller: "c", id: "15903"), now: t0 + 200) == nil)
    }
}
