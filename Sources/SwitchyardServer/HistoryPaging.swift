import Foundation
import NIOCore
import SwitchyardCore
import SwitchyardWire

/// The targets of one `/v1/history` page: whole targets in (provider, model) order from the
/// cursor's, as many as fit under the cap on buckets for the whole answer.
struct HistoryPagePlan: Equatable, Sendable {
    var targets: [Target]
    /// The first target of the next page; nil on the last page.
    var next: Target?

    /// - Parameter bucketsPerTarget: the most buckets one target can have in the range.
    static func plan(_ candidates: [Target], from cursor: Target?, bucketsPerTarget: Int, maxBuckets: Int) -> HistoryPagePlan {
        let sorted = candidates.sorted(by: HistoryCursor.precedes)
        // A cursor target removed by a reload meanwhile: start at the first one after it.
        let start = cursor.map { cursor in sorted.firstIndex { !HistoryCursor.precedes($0, cursor) } ?? sorted.count } ?? 0
        let perPage = max(1, maxBuckets / max(1, bucketsPerTarget))
        let end = min(sorted.count, start + perPage)
        return HistoryPagePlan(targets: Array(sorted[start..<end]), next: end < sorted.count ? sorted[end] : nil)
    }
}

/// The opaque `cursor` of a history page: the page's first target, base64url-encoded.
enum HistoryCursor {
    static func precedes(_ a: Target, _ b: Target) -> Bool {
        (a.provider.rawValue, a.model.rawValue) < (b.provider.rawValue, b.model.rawValue)
    }

    static func encode(_ target: Target) -> String {
        Data("\(target.provider.rawValue)\n\(target.model.rawValue)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) throws -> Target {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard text.count <= 2048, let data = Data(base64Encoded: base64), let decoded = String(data: data, encoding: .utf8) else {
            throw APIError.badParameter("cursor", "not a cursor from a history answer's next link")
        }
        let parts = decoded.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw APIError.badParameter("cursor", "not a cursor from a history answer's next link")
        }
        return Target(provider: ProviderID(String(parts[0])), model: ModelName(String(parts[1])))
    }
}

/// Writes one history page as it is read: the buckets of one target at a time are fetched and
/// encoded on the heavy-read threads, then written, so the answer is never in memory whole —
/// at most one target's buckets and their JSON are.
struct HistoryStream: Sendable {
    var since: Timestamp
    var until: Timestamp
    var step: HistoryStep
    var targets: [Target]
    /// The next page's path and query, or nil on the last page.
    var next: String?
    var fetch: @Sendable (Target) throws -> [HistoryBucket]
    var heavy: HeavyReads

    /// What a write held at most at once: buckets of one fetch, and bytes of one chunk.
    struct Peak: Sendable {
        var buckets = 0
        var chunkBytes = 0
    }

    /// Writes the whole page through `write`, one chunk per target with history (plus the frame).
    @discardableResult
    func write(_ write: (ByteBuffer) async throws -> Void) async throws -> Peak {
        var peak = Peak()
        let head = #"{"since":"\#(since.rfc3339)","step":"\#(step.rawValue)","until":"\#(until.rfc3339)","series":["#
        try await write(ByteBuffer(string: head))
        var first = true
        for target in targets {
            let fetch = self.fetch
            let (count, json) = try await heavy.run { () -> (Int, [UInt8]) in
                let buckets = try fetch(target)
                guard !buckets.isEmpty else { return (0, []) }
                let series = Wire.History.SeriesItem(model: target.model.rawValue, points: buckets.map(Wire.Point.init), provider: target.provider.rawValue)
                return (buckets.count, Array(try Self.encoder.encode(series)))
            }
            peak.buckets = max(peak.buckets, count)
            guard !json.isEmpty else { continue }
            var chunk = ByteBuffer()
            chunk.reserveCapacity(json.count + 1)
            if !first { chunk.writeString(",") }
            chunk.writeBytes(json)
            peak.chunkBytes = max(peak.chunkBytes, chunk.readableBytes)
            first = false
            try await write(chunk)
        }
        let tail = next.map { #"],"next":"\#(Self.jsonEscaped($0))"}"# } ?? "]}"
        try await write(ByteBuffer(string: tail))
        return peak
    }

    private static var encoder: JSONEncoder { Wire.encoder() }

    private static func jsonEscaped(_ text: String) -> String {
        let data = (try? encoder.encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }
}
