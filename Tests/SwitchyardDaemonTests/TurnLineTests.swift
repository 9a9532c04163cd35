@testable import SwitchyardDaemon
import Testing

/// The reloader's turns are first come, first served.
@Suite(.timeLimit(.minutes(1))) struct TurnLineTests {
    actor Holder {
        var line = TurnLine()
        var order: [String] = []
        func arrive() -> Bool { line.arrive() }
        var waiters: Int { line.waiters }
        func take(_ name: String) async {
            if !line.arrive() { await withCheckedContinuation { line.wait($0) } }
            order.append(name)
        }
        /// The holder leaves and, before the waiter runs, a newcomer arrives: it must not get the turn.
        func leaveThenNewcomerArrives() -> Bool {
            line.leave()?.resume()
            return line.arrive()
        }
    }

    @Test func theTurnGoesToTheFirstWaiterNotToANewcomer() async {
        let holder = Holder()
        #expect(await holder.arrive())
        let waiter = Task { await holder.take("first waiter") }
        while await holder.waiters == 0 { await Task.yield() }
        #expect(await holder.leaveThenNewcomerArrives() == false)
        await waiter.value
        #expect(await holder.order == ["first waiter"])
        #expect(await holder.waiters == 0)
    }
}
