import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An error of a gateway route, in the shape the OpenAI SDKs parse:
/// `{"error": {"message", "type", "code"}}`, with the `x-switchyard-*` headers.
struct OpenAIError: Error, Sendable {
    var status: HTTPResponse.Status
    var type: String
    var code: String
    var message: String
    var retryAfterSeconds: Int?
    /// The `WWW-Authenticate` header of a 401.
    var wwwAuthenticate: String?

    static func invalid(_ code: String, _ message: String) -> OpenAIError {
        OpenAIError(status: .badRequest, type: "invalid_request_error", code: code, message: message)
    }

    /// The API's refusal of a request (a bad query parameter ...) in this shape, its status and code kept.
    static func invalid(_ error: APIError) -> OpenAIError {
        OpenAIError(status: error.status, type: "invalid_request_error", code: error.code, message: error.message)
    }

    func response(_ served: ServedBy) -> Response {
        let body = Body(error: .init(message: message, type: type, code: code))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(body)) ?? Data()
        var headers: HTTPFields = [.contentType: "application/json"]
        served.write(into: &headers)
        if let retryAfterSeconds { headers[.retryAfter] = "\(retryAfterSeconds)" }
        if let wwwAuthenticate { headers[.wwwAuthenticate] = wwwAuthenticate }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// One SSE event carrying this error, for a stream that broke after its first byte.
    var streamEvent: ByteBuffer {
        let body = Body(error: .init(message: message, type: type, code: code))
        let data = (try? JSONEncoder().encode(body)) ?? Data()
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(data)
        buffer.writeString("\n\n")
        return buffer
    }

    struct Body: Encodable {
        struct Detail: Encodable {
            var message: String
            var type: String
            var code: String
        }
        var error: Detail
    }
}

/// What served an answer: the `x-switchyard-*` headers.
struct ServedBy: Sendable {
    var provider: String = ""
    var upstreamModel: String = ""
    var attempts = 0

    static let providerHeader = HTTPField.Name("x-switchyard-provider")!
    static let upstreamModelHeader = HTTPField.Name("x-switchyard-upstream-model")!
    static let attemptsHeader = HTTPField.Name("x-switchyard-attempts")!

    func write(into headers: inout HTTPFields) {
        headers[Self.providerHeader] = provider
        headers[Self.upstreamModelHeader] = upstreamModel
        headers[Self.attemptsHeader] = "\(attempts)"
    }
}
