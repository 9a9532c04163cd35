import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchyardWire

/// An API error: JSON `{"error": {"code", "message"}}` with the matching status.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// The `Allow` header of a 405.
    var allow: String?
    /// The `WWW-Authenticate` header of a 401.
    var wwwAuthenticate: String?
    /// The `Retry-After` header of a 503 (seconds).
    var retryAfter: String?

    public init(_ status: HTTPResponse.Status, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public static func badParameter(_ name: String, _ message: String) -> APIError {
        APIError(.badRequest, code: "bad_parameter", message: "\(name): \(message)")
    }

    public static func notFound(_ code: String, _ message: String) -> APIError {
        APIError(.notFound, code: code, message: message)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try JSONResponse.make(Wire.Error(error: .init(code: code, message: message)), status: status)
        if let allow { response.headers[.allow] = allow }
        if let wwwAuthenticate { response.headers[.wwwAuthenticate] = wwwAuthenticate }
        if let retryAfter { response.headers[.retryAfter] = retryAfter }
        return response
    }
}

/// Turns every error a handler throws (including Hummingbird's own 404s) into the JSON shape.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError where error.status == .notFound {
            // The router has no route for this method and path: 405 when the path has other methods.
            let path = request.uri.path
            let methods = APIEndpoint.methods(servingPath: path)
            guard methods.isEmpty else {
                var wrong = APIError(.methodNotAllowed, code: "method_not_allowed",
                                     message: "\(request.method.rawValue) is not allowed on \(path); use \(methods.map(\.rawValue).joined(separator: ", "))")
                wrong.allow = methods.map(\.rawValue).joined(separator: ", ")
                throw wrong
            }
            throw APIError(.notFound, code: "not_found", message: "no route \(path); the routes are listed at /openapi.json")
        } catch let error as HTTPError {
            throw APIError(error.status, code: Self.code(for: error.status), message: error.body ?? error.status.reasonPhrase)
        } catch let error as any HTTPResponseError {
            // e.g. NIOTooManyBytesError from a body over its cap: 413.
            throw APIError(error.status, code: Self.code(for: error.status), message: error.status.reasonPhrase)
        } catch is DecodingError {
            throw APIError(.badRequest, code: "bad_body", message: "the request body is not valid JSON of the expected shape")
        } catch {
            throw APIError(.internalServerError, code: "internal", message: "internal error")
        }
    }

    private static func code(for status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "not_found"
        case .methodNotAllowed: "method_not_allowed"
        case .contentTooLarge: "body_too_large"
        default: "http_\(status.code)"
        }
    }
}
