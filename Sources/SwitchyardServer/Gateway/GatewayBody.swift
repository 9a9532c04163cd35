import Hummingbird
import NIOCore
import SwitchyardCore

/// A gateway request's body as read from the caller: a JSON object, or a multipart upload
/// (`/v1/audio/transcriptions`). Either way only `model` is rewritten for the upstream and our
/// own fields are removed; everything else goes on unchanged.
enum GatewayBody: Sendable {
    case json(JSONBody)
    case multipart(MultipartForm)

    /// Reads the body under the endpoint's limit: the listener's `max_body_bytes` for JSON,
    /// `gateway.max_upload_bytes` for an upload. Past the limit the read stops (nothing more is
    /// buffered) and the caller gets 413 in the OpenAI shape.
    /// An upload also takes its bytes from the gateway-wide `uploads` budget: its declared length
    /// before a byte is read, else each chunk as it arrives; past the budget, 503 with Retry-After.
    static func read(_ endpoint: GatewayEndpoint, _ request: Request, jsonLimit: Int, uploadLimit: Int,
                     uploads: UploadAllowance? = nil) async throws(OpenAIError) -> GatewayBody {
        let (limit, setting) = endpoint.bodyForm == .multipart ? (uploadLimit, "gateway.max_upload_bytes") : (jsonLimit, "listen.max_body_bytes")
        let buffer: ByteBuffer
        if endpoint.bodyForm == .multipart, let uploads {
            buffer = try await collectUpload(request, limit: limit, uploads)
        } else {
            do {
                buffer = try await request.body.collect(upTo: limit)
            } catch {
                throw tooLarge(limit: limit, setting: setting)
            }
        }
        switch endpoint.bodyForm {
        case .json:
            guard let body = JSONBody(Array(buffer.readableBytesView)) else {
                throw .invalid("invalid_json", "the request body is not a JSON object")
            }
            return .json(body)
        case .multipart:
            guard let boundary = request.headers[.contentType].flatMap(MultipartForm.boundary(ofContentType:)) else {
                throw .invalid("invalid_multipart", "\(endpoint.upstreamPath) takes multipart/form-data with a boundary (a file and a model field)")
            }
            do {
                return .multipart(try MultipartForm(Array(buffer.readableBytesView), boundary: boundary))
            } catch .tooManyParts {
                throw .invalid("invalid_multipart", "the form has more than \(MultipartForm.maxParts) parts")
            } catch let problem {
                throw .invalid("invalid_multipart", "the form cannot be read: \(problem.reason)")
            }
        }
    }

    /// An upload's body, each byte counted against the budget before it is kept.
    private static func collectUpload(_ request: Request, limit: Int, _ uploads: UploadAllowance) async throws(OpenAIError) -> ByteBuffer {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared <= limit,
           !uploads.hold.grow(by: declared, limit: uploads.limit) {
            throw overBudget(uploads.limit)
        }
        var buffer = ByteBuffer()
        do {
            for try await chunk in request.body {
                let size = buffer.readableBytes + chunk.readableBytes
                guard size <= limit else { throw tooLarge(limit: limit, setting: "gateway.max_upload_bytes") }
                guard uploads.hold.grow(by: size - uploads.hold.taken, limit: uploads.limit) else { throw overBudget(uploads.limit) }
                buffer.writeImmutableBuffer(chunk)
            }
        } catch let error as OpenAIError {
            throw error
        } catch {
            throw tooLarge(limit: limit, setting: "gateway.max_upload_bytes")
        }
        return buffer
    }

    /// 503 in the OpenAI shape: the uploads in flight hold the whole budget.
    static func overBudget(_ limit: Int) -> OpenAIError {
        OpenAIError(status: .serviceUnavailable, type: "server_error", code: "uploads_over_budget",
                    message: "uploads in flight hold \(limit) bytes (gateway.upload_budget_bytes); retry shortly", retryAfterSeconds: 1)
    }

    /// 413 in the OpenAI shape, naming the setting that sets the limit.
    static func tooLarge(limit: Int, setting: String) -> OpenAIError {
        OpenAIError(status: .contentTooLarge, type: "invalid_request_error", code: "body_too_large",
                    message: "the request body is larger than \(limit) bytes (\(setting))")
    }

    /// A text field (JSON string member, or form field).
    func string(_ key: String) -> String? {
        switch self {
        case .json(let body): body.string(key)
        case .multipart(let form): form.field(key)
        }
    }

    /// A boolean field (`true`/`false` in JSON; the text `true` in a form).
    func bool(_ key: String) -> Bool? {
        switch self {
        case .json(let body): body.bool(key)
        case .multipart(let form): form.field(key).map { $0.lowercased() == "true" }
        }
    }

    /// The JSON body, when it is one.
    var json: JSONBody? {
        if case .json(let body) = self { return body }
        return nil
    }

    /// The upstream's content type for this body (a form keeps the caller's boundary); nil for JSON (`application/json`).
    var contentType: String? {
        if case .multipart(let form) = self { return form.contentType }
        return nil
    }

    /// The body to send upstream: `model` set to `upstreamModel`, our `provider` object removed,
    /// `additions` (raw `"key":value` JSON text) added to a JSON body.
    func upstream(model upstreamModel: String, additions: [UInt8]) -> [UInt8] {
        switch self {
        case .json(let body):
            body.edited(replacing: ["model": JSONBody.quoted(upstreamModel)], removing: ["provider"], adding: additions)
        case .multipart(let form):
            form.replacing(field: "model", with: upstreamModel)
        }
    }
}

/// An upload's share of the gateway-wide budget, and the budget's size.
struct UploadAllowance: Sendable {
    let hold: UploadBudget.Hold
    let limit: Int
}

extension MultipartForm.Problem {
    var reason: String {
        switch self {
        case .noBoundary: "no boundary"
        case .malformed(let why): why
        case .tooManyParts: "too many parts"
        }
    }
}
