/// The one taxonomy of failures, shared by probes, client reports, metrics and SQLite.
public enum ErrorClass: String, CaseIterable, Sendable, Codable {
    case dns
    case connectRefused = "connect_refused"
    case connectTimeout = "connect_timeout"
    case tls
    case timeout
    case auth
    case modelNotFound = "model_not_found"
    case rateLimited = "rate_limited"
    case serverError = "server_error"
    case badResponse = "bad_response"
    case streamStalled = "stream_stalled"
    case bodyTooLarge = "body_too_large"
    case canceled

    /// Whether the failure says something about the target's health (a canceled probe does not).
    public var countsAgainstHealth: Bool { self != .canceled }

    /// The class of a completed answer with this HTTP status, the same for probes and client
    /// reports: 401/403 auth, 404 model_not_found, 429 rate_limited, 5xx server_error, any other
    /// bad_response; nil for a 2xx.
    public init?(httpStatus status: Int) {
        switch status {
        case 200..<300: return nil
        case 401, 403: self = .auth
        case 404: self = .modelNotFound
        case 429: self = .rateLimited
        case 500...: self = .serverError
        default: self = .badResponse
        }
    }
}

/// What happened to one request: success, or a failure of a known class.
public enum Outcome: Hashable, Sendable {
    case ok
    case failure(ErrorClass)

    /// `ok` or the error class's wire name.
    public var label: String {
        switch self {
        case .ok: "ok"
        case .failure(let errorClass): errorClass.rawValue
        }
    }

    /// Parses `ok` or an error class name.
    public init?(label: String) {
        if label == "ok" {
            self = .ok
        } else if let errorClass = ErrorClass(rawValue: label) {
            self = .failure(errorClass)
        } else {
            return nil
        }
    }

    public var isSuccess: Bool { self == .ok }
}
