import Foundation
import Hummingbird
import NIOCore
import SwitchyardWire

/// Encodes API answers (the generated wire types spell their snake_case keys) as `Wire.encoder()` does.
enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try Wire.encoder().encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
