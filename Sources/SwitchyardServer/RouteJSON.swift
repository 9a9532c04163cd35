import Hummingbird
import NIOCore
import SwitchyardCore

/// The `/v1/route` answer written straight into a `ByteBuffer`: the hottest route, where
/// `JSONEncoder` was a third of the daemon's CPU under load. The bytes are exactly what
/// `JSONResponse.make` produces for the generated `Wire.Route` (sorted keys, unescaped slashes, absent
/// optionals left out, doubles as `JSONEncoder` spells them); a test holds the two equal.
enum RouteJSON {
    /// A non-finite number, which `JSONEncoder` refuses too (the error middleware answers 500).
    struct NonFiniteNumber: Error, CustomStringConvertible {
        var key: String
        var description: String { "route answer: \(key) is not a finite number" }
    }

    static func response(_ route: Route) throws -> Response {
        var buffer = ByteBufferAllocator().buffer(capacity: 256 + route.candidates.count * 512)
        try write(route, into: &buffer)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
    }

    /// Keys in sorted order, as `JSONEncoder` with `.sortedKeys` writes them.
    static func write(_ route: Route, into buffer: inout ByteBuffer) throws {
        buffer.writeStaticString("{\"candidates\":[")
        for (index, candidate) in route.candidates.enumerated() {
            if index > 0 { buffer.writeStaticString(",") }
            try write(candidate, into: &buffer)
        }
        buffer.writeStaticString("]")
        if let retry = route.earliestRetryAt {
            buffer.writeStaticString(",\"earliest_retry_at\":")
            writeString(retry.rfc3339, into: &buffer)
        }
        buffer.writeStaticString(",\"excluded\":[")
        for (index, exclusion) in route.excluded.enumerated() {
            buffer.writeStaticString(index > 0 ? ",{\"provider\":" : "{\"provider\":")
            writeString(exclusion.provider.rawValue, into: &buffer)
            buffer.writeStaticString(",\"reason\":")
            writeString(exclusion.reason, into: &buffer)
            buffer.writeStaticString("}")
        }
        buffer.writeStaticString("]")
        buffer.writeStaticString(",\"generated_at\":")
        writeString(route.generatedAt.rfc3339, into: &buffer)
        buffer.writeStaticString(",\"model\":")
        writeString(route.model.rawValue, into: &buffer)
        buffer.writeStaticString(route.panic ? ",\"panic\":true,\"strategy\":" : ",\"panic\":false,\"strategy\":")
        writeString(route.strategy.rawValue, into: &buffer)
        buffer.writeStaticString(",\"task\":")
        writeString(route.task.rawValue, into: &buffer)
        buffer.writeStaticString("}")
    }

    private static func write(_ candidate: RouteCandidate, into buffer: inout ByteBuffer) throws {
        buffer.writeStaticString("{\"base_url\":")
        writeString(candidate.baseURL, into: &buffer)
        try writeNumber(candidate.latencyP50Ms, ",\"latency_p50_ms\":", into: &buffer)
        try writeNumber(candidate.latencyP90Ms, ",\"latency_p90_ms\":", into: &buffer)
        try writeNumber(candidate.latencyP99Ms, ",\"latency_p99_ms\":", into: &buffer)
        try writeNumber(candidate.pricePerRequest, ",\"price_per_request\":", into: &buffer)
        buffer.writeStaticString(",\"provider\":")
        writeString(candidate.provider.rawValue, into: &buffer)
        buffer.writeStaticString(",\"reasons\":[")
        for (index, reason) in candidate.reasons.enumerated() {
            if index > 0 { buffer.writeStaticString(",") }
            writeString(reason, into: &buffer)
        }
        buffer.writeStaticString("]")
        try writeNumber(candidate.score, ",\"score\":", into: &buffer)
        buffer.writeStaticString(",\"state\":")
        writeString(candidate.state.rawValue, into: &buffer)
        try writeNumber(candidate.successRate, ",\"success_rate\":", into: &buffer)
        try writeNumber(candidate.tokensPerSecond, ",\"tokens_per_second\":", into: &buffer)
        try writeNumber(candidate.ttftP50Ms, ",\"ttft_p50_ms\":", into: &buffer)
        buffer.writeStaticString(",\"upstream_model\":")
        writeString(candidate.upstreamModel, into: &buffer)
        buffer.writeStaticString("}")
    }

    /// `key` then the number, or nothing when absent; `JSONEncoder`'s spelling: the shortest
    /// round-trip form (`description`) without a trailing `.0`.
    private static func writeNumber(_ value: Double?, _ key: StaticString, into buffer: inout ByteBuffer) throws {
        guard let value else { return }
        guard value.isFinite else { throw NonFiniteNumber(key: "\(key)") }
        buffer.writeStaticString(key)
        let text = value.description
        if text.hasSuffix(".0") {
            buffer.writeSubstring(text.dropLast(2))
        } else {
            buffer.writeString(text)
        }
    }

    /// A JSON string: `"` and `\` escaped, control characters as short escapes or `\u00xx`; the rest (including `/`) as is.
    static func writeString(_ text: String, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("\"")
        let utf8 = text.utf8
        guard utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
            buffer.writeString(text)
            buffer.writeStaticString("\"")
            return
        }
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case 0x08: buffer.writeStaticString("\\b")
            case 0x09: buffer.writeStaticString("\\t")
            case 0x0A: buffer.writeStaticString("\\n")
            case 0x0C: buffer.writeStaticString("\\f")
            case 0x0D: buffer.writeStaticString("\\r")
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                buffer.writeStaticString("\\u00")
                buffer.writeInteger(hex[Int(byte >> 4)])
                buffer.writeInteger(hex[Int(byte & 0xF)])
            default: buffer.writeInteger(byte)
            }
        }
        buffer.writeStaticString("\"")
    }
}
