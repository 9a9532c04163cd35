import Synchronization
import SwitchyardCore

/// Every hedged target's `HedgeState` (times to first byte and hedge budget), kept across
/// reloads. Only targets with `hedge:` set get an entry, so it stays as small as the config.
final class HedgeBook: Sendable {
    private let states = Mutex<[Target: HedgeState]>([:])

    /// A request's first attempt at `target` starts: its credit grows; the hedge delay in seconds, or nil.
    func admit(_ target: Target, _ settings: HedgeSettings) -> Double? {
        states.withLock { $0[target, default: HedgeState()].admit(settings) }
    }

    /// The hedge instant came: whether the budget allows the hedge (spending one credit).
    func spend(_ target: Target) -> Bool {
        states.withLock { $0[target, default: HedgeState()].spend() }
    }

    /// The first attempt at `target` produced its first byte (or was canceled) after `seconds`.
    func record(_ target: Target, firstByteSeconds seconds: Double) {
        states.withLock { $0[target, default: HedgeState()].record(firstByteSeconds: seconds) }
    }
}

/// An answer whose first body chunk was already read (to see who answered first): hands
/// that chunk out first, then reads on.
final class PrefetchedResponse: UpstreamResponse, Sendable {
    private let inner: any UpstreamResponse
    private let head: UpstreamHead
    private let first: Mutex<[UInt8]??>

    init(_ inner: any UpstreamResponse, head: UpstreamHead, first: [UInt8]?) {
        self.inner = inner
        self.head = head
        self.first = Mutex(.some(first))
    }

    func head() async -> Result<UpstreamHead, UpstreamFailure> { .success(head) }

    func next() async -> [UInt8]? {
        if let first = first.withLock({ state -> [UInt8]?? in defer { state = nil }; return state }) { return first }
        return await inner.next()
    }

    var failure: UpstreamFailure? { inner.failure }

    func cancel() { inner.cancel() }
}
