import Foundation
import NIOCore
import Synchronization
import SwitchyardCore
import SwitchyardWire

/// `POST /v1/reports`: a batch of real request outcomes from clients. Each item is
/// validated on its own; the answer says per item whether it was accepted and why not.
enum ReportsEndpoint {
    static let maxItems = 1000

    /// Validates and delivers a batch; every accepted observation names `caller` as its reporter.
    /// A batch with a `batch_id` this caller sent recently gets the first answer again, and is not applied twice.
    static func accept(_ body: ByteBuffer, caller: Caller, _ deps: APIDependencies) throws -> ReportsAnswer {
        let batch: ReportBatch
        do {
            batch = try JSONDecoder().decode(ReportBatch.self, from: Data(buffer: body))
        } catch ReportBatch.BadBatchID.invalid {
            throw APIError(.badRequest, code: "bad_batch_id", message: "batch_id must be a string of 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'")
        } catch {
            throw APIError(.badRequest, code: "bad_body", message: #"expected {"reports": [{"provider", "model", "started_at", "outcome", "total_ms", ...}]}"#)
        }
        guard batch.reports.count <= maxItems else {
            throw APIError(.badRequest, code: "too_many_reports", message: "at most \(maxItems) reports per request; send \(batch.reports.count) in several batches")
        }
        guard let id = batch.batchID else { return apply(batch, caller: caller, deps) }
        return deps.reportBatches.once(RecentAnswers.Key(caller: caller.label, id: id), now: deps.clock.now()) {
            apply(batch, caller: caller, deps)
        }
    }

    private static func apply(_ batch: ReportBatch, caller: Caller, _ deps: APIDependencies) -> ReportsAnswer {
        let validator = ReportValidator()
        let now = deps.clock.now()
        var results: [ReportsAnswer.ResultsItem] = []
        results.reserveCapacity(batch.reports.count)
        for (index, item) in batch.reports.enumerated() {
            switch validator.validate(item.report, now: now, descriptor: deps.healthBook.descriptor(of:)) {
            case .success(var observation):
                observation.reporter = caller.label
                deps.deliver(observation)
                results.append(.init(accepted: true, index: index))
            case .failure(let failure):
                deps.metrics.recordRejectedReport(failure.reason)
                results.append(.init(accepted: false, index: index, message: failure.message, reason: failure.reason.rawValue))
            }
        }
        let accepted = results.filter(\.accepted).count
        return ReportsAnswer(accepted: accepted, caller: caller.label, rejected: results.count - accepted, results: results)
    }
}

/// The request body: items decode leniently so that one bad item does not sink the batch.
struct ReportBatch: Decodable {
    var reports: [LenientReport]
    /// The client's id for this batch, so a retry after a broken connection is answered, not applied again.
    var batchID: String?

    enum BadBatchID: Error { case invalid }

    enum Keys: String, CodingKey {
        case reports
        case batchID = "batch_id"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        reports = try c.decode([LenientReport].self, forKey: .reports)
        guard c.contains(.batchID) else { return }  // present means a valid id: null is refused like any other non-string
        guard let id = try? c.decode(String.self, forKey: .batchID), (1...64).contains(id.utf8.count),
              id.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x5F || $0 == 0x2D }) else {
            throw BadBatchID.invalid
        }
        batchID = id
    }
}

/// The answers to recent report batches that carried a `batch_id`, per caller (4096 ids, 10 minutes).
public final class ReportBatchMemory: Sendable {
    private let recent: Mutex<RecentAnswers<ReportsAnswer>>

    public init(capacity: Int = 4096, lifetimeSeconds: Double = 600) {
        recent = Mutex(RecentAnswers(capacity: capacity, lifetimeSeconds: lifetimeSeconds))
    }

    /// The remembered answer for `key`, or `apply`'s, remembered. Held under the lock, so a
    /// retry racing the first attempt waits for it rather than applying the batch again.
    func once(_ key: RecentAnswers<ReportsAnswer>.Key, now: Timestamp, _ apply: () -> ReportsAnswer) -> ReportsAnswer {
        recent.withLock { recent in
            if let answer = recent.answer(for: key, now: now) { return answer }
            let answer = apply()
            recent.remember(answer, for: key, at: now)
            return answer
        }
    }
}

/// One report item; a field of the wrong type reads as missing, and validation says so.
struct LenientReport: Decodable {
    var report: ClientReport

    enum Keys: String, CodingKey {
        case provider, model, outcome, status
        case startedAt = "started_at"
        case ttftMs = "ttft_ms"
        case totalMs = "total_ms"
        case tokensIn = "tokens_in"
        case tokensOut = "tokens_out"
        case audioSeconds = "audio_seconds"
        case images
    }

    init(from decoder: any Decoder) throws {
        guard let c = try? decoder.container(keyedBy: Keys.self) else {
            report = ClientReport()
            return
        }
        var startedAt: ReportTime?
        if let seconds = try? c.decode(Double.self, forKey: .startedAt) {
            startedAt = .unixSeconds(seconds)
        } else if let text = try? c.decode(String.self, forKey: .startedAt) {
            startedAt = .text(text)
        }
        report = ClientReport(
            provider: try? c.decode(String.self, forKey: .provider),
            model: try? c.decode(String.self, forKey: .model),
            startedAt: startedAt,
            outcome: try? c.decode(String.self, forKey: .outcome),
            status: try? c.decode(Int.self, forKey: .status),
            ttftMs: try? c.decode(Double.self, forKey: .ttftMs),
            totalMs: try? c.decode(Double.self, forKey: .totalMs),
            tokensIn: try? c.decode(Int.self, forKey: .tokensIn),
            tokensOut: try? c.decode(Int.self, forKey: .tokensOut),
            audioSeconds: try? c.decode(Double.self, forKey: .audioSeconds),
            images: try? c.decode(Int.self, forKey: .images)
        )
    }
}

/// The answer: counts and one result per item, in order.
typealias ReportsAnswer = Wire.ReportsAnswer
