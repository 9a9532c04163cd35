import Synchronization
import SwitchyardCore

/// One model-list fetch shared by the liveness probes that read the same list with the same
/// credential: a router target's liveness probe reads the router's whole `/v1/models` (megabytes
/// on Hugging Face's) to find its model, so 300 discovered targets would otherwise download it
/// 300 times per interval. Probes that arrive while a fetch is in flight wait for it; an answer
/// younger than the asking probe's bound (`maxAge(interval:)`) answers it without a fetch.
///
/// Keyed by URL and a hash of the request's headers (the credential), so two keys never share an
/// answer and the key itself is kept nowhere here. Ages run on the scheduler's clock.
public final class ModelListSharing<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    private struct Key: Hashable {
        var url: String
        var credential: Int
    }

    private enum Entry {
        /// A fetch running, with how many probes wait for it (when all are canceled, so is the fetch).
        case inFlight(Task<HTTPTransferResult, Never>, id: Int, waiters: Int)
        case done(HTTPTransferResult, at: Instant)
    }

    private enum Answer {
        case ready(HTTPTransferResult)
        case wait(Task<HTTPTransferResult, Never>, id: Int, started: Bool)
    }

    private let entries = Mutex<[Key: Entry]>([:])
    /// When the table last forgot old answers.
    private let prunedAt = Mutex<Instant?>(nil)
    private let now: @Sendable () -> Instant
    private let fetchCount = Atomic<Int>(0)
    private let lastID = Atomic<Int>(0)

    /// `now` is the scheduler's clock.
    public init(now: @escaping @Sendable () -> Instant) {
        self.now = now
    }

    /// How many fetches went out (the rest were shared).
    public var fetches: Int { fetchCount.load(ordering: .relaxed) }

    /// How many probes wait for fetches in flight now (for tests).
    var waitingProbes: Int {
        entries.withLock { table in table.values.reduce(0) { if case .inFlight(_, _, let waiters) = $1 { $0 + waiters } else { $0 } } }
    }

    /// The longest an answer is reused for a probe of `interval` seconds: a quarter of it, at most 5 s.
    /// A quarter keeps every probe's answer from well inside its own interval (its cadence stays
    /// honest); 5 s is long enough to cover one round of probes due together (their start-up
    /// spread and leeway windows are shorter) and short enough that a model the router drops is
    /// seen as missing within seconds of the next probe.
    public static func maxAge(interval: Double) -> Duration {
        .seconds(min(5, max(0, interval) / 4))
    }

    /// The answer to `request` through `transport`, fetched or shared; `shared` is true when
    /// this probe did not start the fetch (its timings are the shared fetch's). A canceled probe
    /// stops waiting for the fetch's sake only when no other probe waits for it: then the fetch is
    /// canceled too, and its answer is not kept.
    func read(_ request: HTTPRequest, maxAge: Duration, transport: any HTTPTransport) async -> (HTTPTransferResult, shared: Bool) {
        var hasher = Hasher()
        hasher.combine(request.headers)
        let key = Key(url: request.url, credential: hasher.finalize())
        let at = now()
        let prune = prunedAt.withLock { last in
            guard last.map({ $0.duration(to: at) >= .seconds(1) }) ?? true else { return false }
            last = at
            return true
        }
        let answer: Answer = entries.withLock { table in
            // Forget answers too old to answer anyone, so the table holds only recent lists: at most
            // once a second (an answer stays up to 6 s), not on every read, which would copy every
            // entry of a table with many lists each time (callgrind: ~200k instructions per probe at 100 lists).
            if prune { table = table.filter { if case .done(_, let time) = $0.value { time.duration(to: at) <= .seconds(5) } else { true } } }
            switch table[key] {
            case .done(let result, let time) where time.duration(to: at) <= maxAge:
                return .ready(result)
            case .inFlight(let task, let id, let waiters):
                table[key] = .inFlight(task, id: id, waiters: waiters + 1)
                return .wait(task, id: id, started: false)
            default:
                let id = lastID.wrappingAdd(1, ordering: .relaxed).newValue
                let task = Task { [self] in
                    let result = await transport.perform(request)
                    finish(key, id: id, result, keep: !Task.isCancelled)
                    return result
                }
                table[key] = .inFlight(task, id: id, waiters: 1)
                return .wait(task, id: id, started: true)
            }
        }
        switch answer {
        case .ready(let result):
            return (result, true)
        case .wait(let task, let id, let started):
            if started { fetchCount.add(1, ordering: .relaxed) }
            let result = await withTaskCancellationHandler { await task.value } onCancel: { leave(key, id: id) }
            return (result, !started)
        }
    }

    /// A waiting probe was canceled: the last one to leave cancels the fetch.
    private func leave(_ key: Key, id: Int) {
        entries.withLock { table in
            guard case .inFlight(let task, let current, let waiters) = table[key], current == id else { return }
            if waiters <= 1 {
                task.cancel()
                table[key] = nil
            } else {
                table[key] = .inFlight(task, id: id, waiters: waiters - 1)
            }
        }
    }

    /// The fetch ended: its answer answers later probes for a while, unless it was canceled.
    private func finish(_ key: Key, id: Int, _ result: HTTPTransferResult, keep: Bool) {
        let at = now()
        entries.withLock { table in
            guard case .inFlight(_, let current, _) = table[key], current == id else { return }
            table[key] = keep ? .done(result, at: at) : nil
        }
    }
}

/// What a liveness probe reads model lists through: a shared fetch per list and credential.
public struct ModelListReader: Sendable {
    let read: @Sendable (HTTPRequest, Double, any HTTPTransport) async -> (HTTPTransferResult, shared: Bool)

    /// Reads through `sharing`, reusing an answer for at most `maxAge(interval:)` of the probe's interval.
    public init<Instant>(_ sharing: ModelListSharing<Instant>) {
        read = { request, interval, transport in
            await sharing.read(request, maxAge: ModelListSharing<Instant>.maxAge(interval: interval), transport: transport)
        }
    }
}
