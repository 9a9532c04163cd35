import HTTPTypes
import Hummingbird
import NIOCore

/// Why the simulator dropped a connection on purpose (ends the handler after the close).
struct SimulatedDisconnect: Error {}

/// Writes a body plan on the wire, applying the behaviour's body faults: garbage,
/// slow drip, stall, truncation and oversize. Tokens keep their timing otherwise.
enum SimulatorBody {
    static func response(_ plan: BodyPlan, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:], behavior: SimulatorBehavior) -> Response {
        var headers: HTTPFields = [.contentType: plan.contentType]
        headers.append(contentsOf: extra)
        if plan.format == .sse { headers[.cacheControl] = "no-cache" }
        let fault = behavior.fault
        return Response(status: status, headers: headers, body: ResponseBody { writer in
            switch fault {
            case .garbage:
                try await writer.write(ByteBuffer(bytes: garbage(plan.format)))
            case .garbageMidStream:
                let (half, cut) = halves(plan)
                for piece in half { try await send(piece, &writer) }
                if !cut.isEmpty { try await writer.write(ByteBuffer(bytes: cut)) }
                try await writer.write(ByteBuffer(bytes: garbage(plan.format)))
            case .slowDrip:
                let bytes = plan.pieces.flatMap(\.bytes)
                var offset = 0
                while offset < bytes.count {
                    let end = min(offset + 8, bytes.count)
                    try await writer.write(ByteBuffer(bytes: bytes[offset..<end]))
                    offset = end
                    try await Task.sleep(for: .milliseconds(behavior.dripIntervalMs))
                }
            case .stall, .truncated:
                let (half, cut) = halves(plan)
                for piece in half { try await send(piece, &writer) }
                if !cut.isEmpty { try await writer.write(ByteBuffer(bytes: cut)) }
                if fault == .stall { try await Task.sleep(for: .seconds(3600)) }
                throw SimulatedDisconnect()  // closes the connection mid-body
            case .oversized:
                let line = padding(plan.format)
                var sent = 0
                while sent < behavior.oversizeBytes {
                    try await writer.write(ByteBuffer(bytes: line))
                    sent += line.count
                }
                for piece in plan.pieces { try await send(piece, &writer) }
            default:
                for piece in plan.pieces { try await send(piece, &writer) }
            }
            try await writer.finish(nil)
        })
    }

    private static func send(_ piece: BodyPlan.Piece, _ writer: inout any ResponseBodyWriter) async throws {
        if piece.delay > 0 { try await Task.sleep(for: .milliseconds(piece.delay * 1000)) }
        try await writer.write(ByteBuffer(bytes: piece.bytes))
    }

    /// The first half of the pieces, and for a single-piece body, half of its bytes.
    private static func halves(_ plan: BodyPlan) -> ([BodyPlan.Piece], [UInt8]) {
        if plan.pieces.count >= 2 { return (Array(plan.pieces.prefix(plan.pieces.count / 2)), []) }
        let bytes = plan.pieces.first?.bytes ?? []
        return ([], Array(bytes.prefix(bytes.count / 2)))
    }

    private static func garbage(_ format: BodyPlan.Format) -> [UInt8] {
        switch format {
        case .json: Array("{\"choices\": [tru".utf8)
        case .sse: Array("data: {\"choices\": [tru\n\ndata: [DONE]\n\n".utf8)
        case .ndjson: Array("{\"message\": {tru\n{\"done\": true}\n".utf8)
        case .binary: Array("<html>not the media you asked for</html>".utf8)
        }
    }

    /// 64 KiB of filler each format ignores: SSE comments, JSON whitespace, blank NDJSON lines.
    private static func padding(_ format: BodyPlan.Format) -> [UInt8] {
        switch format {
        case .sse: Array(":" .utf8) + [UInt8](repeating: UInt8(ascii: " "), count: 65_534) + [UInt8(ascii: "\n")]
        case .json: [UInt8](repeating: UInt8(ascii: " "), count: 65_536)
        case .ndjson: [UInt8](repeating: UInt8(ascii: "\n"), count: 65_536)
        case .binary: [UInt8](repeating: 0, count: 65_536)
        }
    }
}
