import CCurl
import Foundation
import SwitchyardCore
import SwitchyardWire

/// How to reach a running daemon: its Unix socket (the default) or a TCP URL.
public enum DaemonEndpoint: Sendable, Hashable, CustomStringConvertible {
    case unixSocket(String)
    case url(String)

    /// `SWITCHYARD_SOCKET`, else `$RUNTIME_DIRECTORY/switchyard.sock`, else `/run/switchyard/switchyard.sock`.
    public static func defaultSocket(environment: [String: String] = ProcessInfo.processInfo.environment) -> DaemonEndpoint {
        if let path = environment["SWITCHYARD_SOCKET"], !path.isEmpty { return .unixSocket(path) }
        if let runtime = environment["RUNTIME_DIRECTORY"]?.split(separator: ":").first { return .unixSocket("\(runtime)/switchyard.sock") }
        return .unixSocket("/run/switchyard/switchyard.sock")
    }

    public var description: String {
        switch self {
        case .unixSocket(let path): "unix socket \(path)"
        case .url(let url): url
        }
    }
}

/// Failures talking to the daemon, split the way the CLI's exit codes are.
public enum ClientError: Error, CustomStringConvertible, Sendable {
    /// Nothing answered (not running, wrong path, refused).
    case unreachable(endpoint: DaemonEndpoint, detail: String)
    /// The daemon answered with an error.
    case daemon(status: Int, code: String, message: String)
    /// The daemon took longer than the client's timeout, or the connection broke mid-answer.
    case transport(endpoint: DaemonEndpoint, detail: String)
    /// The daemon's answer could not be read.
    case badAnswer(String)

    public var description: String {
        switch self {
        case .unreachable(let endpoint, let detail):
            "cannot reach switchyard at \(endpoint) (\(detail)); is the daemon running? (systemctl status switchyard)"
        case .transport(let endpoint, let detail): "switchyard at \(endpoint) did not answer in time or broke off (\(detail))"
        case .daemon(let status, let code, let message): "daemon answered \(status) \(code): \(message)"
        case .badAnswer(let detail): "unreadable answer from the daemon: \(detail)"
        }
    }
}

/// A small HTTP client for the daemon's API on libcurl (which speaks HTTP over Unix sockets).
/// Each call runs the blocking transfer on a Dispatch thread, never on Swift's cooperative
/// pool, so callers (and a daemon in the same process) are never starved.
public struct DaemonConnection: Sendable {
    public var endpoint: DaemonEndpoint
    public var timeoutSeconds: Double
    /// The admin bearer token, sent as `Authorization: Bearer …` (needed for admin routes over TCP only).
    public var token: String?
    /// This program's client token (`clients:` in the daemon's config), sent as `Authorization: Bearer …`
    /// with reports: needed over TCP unless the daemon sets `listen.tcp_without_token: true`.
    public var clientToken: String?

    public init(endpoint: DaemonEndpoint, timeoutSeconds: Double = 5, token: String? = nil, clientToken: String? = nil) {
        self.endpoint = endpoint
        self.timeoutSeconds = timeoutSeconds
        self.token = token
        self.clientToken = clientToken
    }

    /// GETs `path` (with query) and returns the body of a 2xx answer; throws `ClientError` otherwise.
    public func get(_ path: String) async throws -> Data {
        try await offloaded { try performBlocking("GET", path) }
    }

    /// POSTs a JSON body (empty by default) to `path`.
    public func post(_ path: String, json body: Data = Data()) async throws -> Data {
        try await offloaded { try performBlocking("POST", path, body: body) }
    }

    /// POSTs on the calling thread; for callers that already run on a Dispatch thread (the report sender).
    func postBlocking(_ path: String, json body: Data) throws -> Data {
        try performBlocking("POST", path, body: body)
    }

    private func offloaded(_ work: @escaping @Sendable () throws -> Data) async throws -> Data {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    private func performBlocking(_ method: String, _ path: String, body: Data = Data()) throws -> Data {
        guard let easy = curl_easy_init() else { throw ClientError.badAnswer("libcurl could not start") }
        defer { curl_easy_cleanup(easy) }
        let url: String
        switch endpoint {
        case .unixSocket(let socketPath):
            _ = sy_easy_setopt_string(easy, CURLOPT_UNIX_SOCKET_PATH, socketPath)
            url = "http://localhost" + path
        case .url(let base):
            url = (base.hasSuffix("/") ? String(base.dropLast()) : base) + path
        }
        _ = sy_easy_setopt_string(easy, CURLOPT_URL, url)
        _ = sy_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, method)
        var headers: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headers) }
        if let token, !token.isEmpty, path.hasPrefix("/v1/admin/") {  // only where it is needed
            headers = curl_slist_append(headers, "Authorization: Bearer \(token)")
        } else if let clientToken, !clientToken.isEmpty, path.hasPrefix("/v1/reports") {
            headers = curl_slist_append(headers, "Authorization: Bearer \(clientToken)")
        }
        if method == "POST" {
            headers = curl_slist_append(headers, "Content-Type: application/json")
            _ = sy_easy_setopt_long(easy, CURLOPT_POSTFIELDSIZE, body.count)
            body.withUnsafeBytes { raw in
                _ = sy_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!))
            }
        }
        if headers != nil { _ = sy_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headers) }
        _ = sy_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = sy_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Int(timeoutSeconds * 1000))
        let box = BodyBox()
        let context = Unmanaged.passUnretained(box).toOpaque()
        _ = sy_easy_setopt_write_function(easy, { data, size, count, context in
            guard let data, let context else { return 0 }
            let box = Unmanaged<BodyBox>.fromOpaque(context).takeUnretainedValue()
            box.data.append(UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: size * count)
            return size * count
        })
        _ = sy_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, context)
        let code = withExtendedLifetime(box) { curl_easy_perform(easy) }
        guard code == CURLE_OK else {
            let detail = String(cString: curl_easy_strerror(code))
            switch code {
            case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
                throw ClientError.unreachable(endpoint: endpoint, detail: detail)
            default:
                throw ClientError.transport(endpoint: endpoint, detail: detail)
            }
        }
        var status = 0
        _ = sy_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        guard (200..<300).contains(status) else {
            let error = try? JSONDecoder().decode(Wire.Error.self, from: box.data)
            throw ClientError.daemon(status: status, code: error?.error.code ?? "http_\(status)", message: error?.error.message ?? "")
        }
        return box.data
    }
}

private final class BodyBox {
    var data = Data()
}

extension DaemonConnection {
    /// A query value or path segment, percent-encoded: only letters, digits and `-._~` stay as they are.
    public static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// RFC 3986's unreserved characters (ASCII only: `CharacterSet.alphanumerics` would keep other scripts' letters raw).
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
