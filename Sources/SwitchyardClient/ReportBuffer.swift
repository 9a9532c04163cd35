import Dispatch
import Foundation
import SwitchyardCore
import Synchronization

/// One request outcome for `POST /v1/reports`.
public struct OutcomeReport: Encodable, Hashable, Sendable {
    public var provider: String
    public var model: String
    /// Unix seconds when the request started.
    public var startedAt: Double
    /// `ok` or an error class of the daemon's taxonomy (`server_error`, `timeout`, ...).
    public var outcome: String
    public var status: Int?
    public var totalMs: Double
    public var ttftMs: Double?
    public var tokensIn: Int?
    public var tokensOut: Int?
    /// The target's task when it is not chat (`text-to-image`, ...).
    public var task: String?
    /// Seconds of audio a speech request carried: the measure speech-to-text speed is judged by.
    public var audioSeconds: Double?

    public init(provider: String, model: String, startedAt: Double, outcome: String, status: Int? = nil, totalMs: Double,
                ttftMs: Double? = nil, tokensIn: Int? = nil, tokensOut: Int? = nil, task: InferenceTask = .chat, audioSeconds: Double? = nil) {
        self.provider = provider
        self.model = model
        self.startedAt = startedAt
        self.outcome = outcome
        self.status = status
        self.totalMs = totalMs
        self.ttftMs = ttftMs
        self.tokensIn = tokensIn
        self.tokensOut = tokensOut
        self.task = task == .chat ? nil : task.rawValue
        self.audioSeconds = audioSeconds
    }
}

/// The body of `POST /v1/reports`: a retry of a batch carries its `batch_id` again, and the
/// daemon answers a repeated id from its memory without applying the batch twice.
/// (The document leaves a report's fields untyped, since the daemon judges each item on its own, so
/// this is not a generated type: the encoder spells the keys in snake_case.)
struct ReportBatch: Encodable {
    var batchID: String
    var reports: [OutcomeReport]

    /// `batchID` → `batch_id`, `startedAt` → `started_at`, ...
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }
}

/// What became of the reports handed to the buffer.
public struct ReportStats: Hashable, Sendable {
    public var queued = 0
    public var sent = 0
    /// The buffer was full: these were never sent.
    public var dropped = 0
    /// Reports lost because the daemon did not take their batch (unreachable, error answer).
    public var failed = 0
}

/// A bounded buffer of reports shipped in batches on a Dispatch thread. `add` takes a lock
/// for an append and returns: it never waits for the daemon. Failures ship at once (they
/// let the daemon eject a target within milliseconds); successes wait up to `interval`.
final class ReportBuffer: Sendable {
    /// Sends one batch with its id, blocking; runs on a Dispatch thread, never on the cooperative pool.
    typealias Sender = @Sendable ([OutcomeReport], String) throws -> Void

    private enum Phase { case idle, scheduled, running }

    private struct State {
        var pending: [OutcomeReport] = []
        var phase = Phase.idle
        var stats = ReportStats()
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    let capacity: Int
    let batchSize: Int
    let interval: Double
    private let send: Sender
    private let state = Mutex(State())

    init(capacity: Int, batchSize: Int = 200, interval: Double, send: @escaping Sender) {
        self.capacity = capacity
        self.batchSize = batchSize
        self.interval = interval
        self.send = send
    }

    var stats: ReportStats { state.withLock { $0.stats } }

    /// Queues `report`; false when the buffer is full and it was dropped (counted).
    @discardableResult
    func add(_ report: OutcomeReport) -> Bool {
        let urgent = report.outcome != "ok"
        let (added, delay) = state.withLock { state -> (Bool, Double?) in
            guard state.pending.count < capacity else {
                state.stats.dropped += 1
                return (false, nil)
            }
            state.pending.append(report)
            state.stats.queued += 1
            switch state.phase {
            case .idle:
                state.phase = .scheduled
                return (true, urgent || state.pending.count >= batchSize ? 0 : interval)
            case .scheduled:
                // A failure does not wait for the batch of successes to fill.
                return (true, urgent ? 0 : nil)
            case .running:
                return (true, nil)
            }
        }
        if let delay {
            DispatchQueue.global().asyncAfter(deadline: .now() + delay) { self.drain() }
        }
        return added
    }

    /// Returns once everything queued so far has been sent or given up on.
    func flush() async {
        await withCheckedContinuation { continuation in
            let idle = state.withLock { state -> Bool in
                guard state.phase != .idle || !state.pending.isEmpty else { return true }
                state.waiters.append(continuation)
                return false
            }
            if idle { continuation.resume() } else { DispatchQueue.global().async { self.drain() } }
        }
    }

    private enum Step {
        case send([OutcomeReport])
        case idle([CheckedContinuation<Void, Never>])
    }

    private func drain() {
        let mayRun = state.withLock { state -> Bool in
            guard state.phase != .running else { return false }
            state.phase = .running
            return true
        }
        guard mayRun else { return }
        while true {
            let step = state.withLock { state -> Step in
                guard state.pending.isEmpty else {
                    let batch = Array(state.pending.prefix(batchSize))
                    state.pending.removeFirst(batch.count)
                    return .send(batch)
                }
                state.phase = .idle
                defer { state.waiters = [] }
                return .idle(state.waiters)
            }
            switch step {
            case .send(let batch):
                let delivered = ship(batch)
                state.withLock { state in
                    if delivered { state.stats.sent += batch.count } else { state.stats.failed += batch.count }
                }
            case .idle(let waiters):
                for waiter in waiters { waiter.resume() }
                return
            }
        }
    }

    /// Sends `batch` under a fresh id; when the connection broke (maybe after the daemon took it),
    /// once more under the same id, which the daemon does not apply twice.
    private func ship(_ batch: [OutcomeReport]) -> Bool {
        let batchID = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        do {
            try send(batch, batchID)
            return true
        } catch ClientError.transport, ClientError.unreachable {
            return (try? send(batch, batchID)) != nil
        } catch {
            return false
        }
    }
}
