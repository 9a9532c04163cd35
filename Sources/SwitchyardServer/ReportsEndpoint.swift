import Foundation
import NIOCore
import SwitchyardCore

/// `POST /v1/reports`: a batch of real request outcomes from clients. Each item is
/// validated on its own; the answer says per item whether it was accepted and why not.
enum ReportsEndpoint {
    static let maxItems = 1000

    /// Validates and delivers a batch; every accepted observation names `caller` as its reporter.
    static func accept(_ body: ByteBuffer, caller: Caller, _ deps: APIDependencies) throws -> ReportsAnswer {
        let batch: ReportBatch
        do {
            batch = try JSONDecoder().decode(ReportBatch.self, from: Data(buffer: body))
        } catch {
            throw APIError(.badRequest, code: "bad_body", message: #"expected {"reports": [{"provider", "model", "started_at", "outcome", "total_ms", ...}]}"#)
        }
        guard batch.reports.count <= maxItems else {
            throw APIError(.badRequest, code: "too_many_reports", message: "at most \(maxItems) reports per request; send \(batch.reports.count) in several batches")
        }
        let validator = ReportValidator()
        let now = deps.clock.now()
        var results: [ReportsAnswer.Item] = []
        results.reserveCapacity(batch.reports.count)
        for (index, item) in batch.reports.enumerated() {
            switch validator.validate(item.report, now: now, descriptor: deps.healthBook.descriptor(of:)) {
            case .success(var observation):
                observation.reporter = caller.label
                deps.deliver(observation)
                results.append(.init(index: index, accepted: true))
            case .failure(let failure):
                deps.metrics.recordRejectedReport(failure.reason)
                results.append(.init(index: index, accepted: false, reason: failure.reason.rawValue, message: failure.message))
            }
        }
        let accepted = results.filter(\.accepted).count
        return ReportsAnswer(caller: caller.label, accepted: accepted, rejected: results.count - accepted, results: results)
    }
}

/// The request body: items decode leniently so that one bad item does not sink the batch.
struct ReportBatch: Decodable {
    var reports: [LenientReport]
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
            tokensOut: try? c.decode(Int.self, forKey: .tokensOut)
        )
    }
}

/// The answer: counts and one result per item, in order.
struct ReportsAnswer: Encodable {
    struct Item: Encodable {
        var index: Int
        var accepted: Bool
        var reason: String?
        var message: String?
    }
    /// Whom the accepted reports were attributed to (`uid:1000`, a client name, `anonymous`).
    var caller: String
    var accepted: Int
    var rejected: Int
    var results: [Item]
}
