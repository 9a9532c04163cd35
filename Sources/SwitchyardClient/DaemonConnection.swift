import Foundation
import SwitchyardCore
import SwitchyardHTTP
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

/// A small HTTP client for the daemon's API on the probes' libcurl engine (which speaks HTTP
/// over Unix sockets too): requests wait on the engine's thread, never block Swift's
/// cooperative pool, and reuse the engine's connections.
public struct DaemonConnection: Sendable {
    public var endpoint: DaemonEndpoint
    public var timeoutSeconds: Double
    /// The admin bearer token, sent as `Authorization: Bearer …` (needed for admin routes over TCP only).
    public var token: String?
    /// This program's client token (`clients:` in the daemon's config), sent as `Authorization: Bearer …`
    /// with reports: needed over TCP unless the daemon sets `listen.tcp_without_token: true`.
    public var clientToken: String?
    /// The engine the requests run on; started by the first request.
    let engine: CurlEngine

    /// `engine` nil: the process's client engine (`DaemonConnection.sharedEngine`).
    public init(endpoint: DaemonEndpoint, timeoutSeconds: Double = 5, token: String? = nil, clientToken: String? = nil,
                engine: CurlEngine? = nil) {
        self.endpoint = endpoint
        self.timeoutSeconds = timeoutSeconds
        self.token = token
        self.clientToken = clientToken
        self.engine = engine ?? Self.sharedEngine
    }

    /// The engine of connections given none: one thread and a few idle connections for the whole
    /// process, started by its first request and never stopped.
    public static let sharedEngine = CurlEngine(maxIdleConnections: 4)

    /// GETs `path` (with query) and returns the body of a 2xx answer; throws `ClientError` otherwise.
    public func get(_ path: String) async throws -> Data {
        try answer(await started.perform(request(.get, path)))
    }

    /// POSTs a JSON body (empty by default) to `path`.
    public func post(_ path: String, json body: Data = Data()) async throws -> Data {
        try answer(await started.perform(request(.post, path, body: body)))
    }

    /// POSTs and waits on the calling thread; for callers that already run on a Dispatch thread (the report sender).
    func postBlocking(_ path: String, json body: Data) throws -> Data {
        try answer(started.performWaiting(request(.post, path, body: body)))
    }

    private var started: CurlEngine {
        engine.start()
        return engine
    }

    private func request(_ method: HTTPRequest.Method, _ path: String, body: Data = Data()) -> HTTPRequest {
        var headers: [String] = []
        if let token, !token.isEmpty, path.hasPrefix("/v1/admin/") {  // only where it is needed
            headers.append("Authorization: Bearer \(token)")
        } else if let clientToken, !clientToken.isEmpty, path.hasPrefix("/v1/reports") {
            headers.append("Authorization: Bearer \(clientToken)")
        }
        if method != .get { headers.append("Content-Type: application/json") }  // every body this client sends is JSON
        var request = HTTPRequest(url: "", method: method, headers: headers, body: method == .post ? Array(body) : nil,
                                  connectTimeoutSeconds: timeoutSeconds, timeoutSeconds: timeoutSeconds, maxBodyBytes: Int.max)
        switch endpoint {
        case .unixSocket(let socketPath):
            request.unixSocketPath = socketPath
            request.url = "http://localhost" + path
        case .url(let base):
            request.url = (base.hasSuffix("/") ? String(base.dropLast()) : base) + path
        }
        return request
    }

    /// The body of a 2xx answer, or the `ClientError` the transfer or the daemon's error answer makes.
    private func answer(_ result: HTTPTransferResult) throws -> Data {
        switch result.failure {
        case nil: break
        case .curl(let code, let message):
            let detail = message.isEmpty ? "libcurl error \(code)" : message
            // Couldn't connect, couldn't resolve the host or proxy, unsupported protocol, malformed URL.
            if [7, 6, 5, 1, 3].contains(code) { throw ClientError.unreachable(endpoint: endpoint, detail: detail) }
            throw ClientError.transport(endpoint: endpoint, detail: detail)
        case .canceled: throw ClientError.transport(endpoint: endpoint, detail: "canceled")
        case .idle, .bodyTooLarge: throw ClientError.transport(endpoint: endpoint, detail: "\(result.failure!)")
        }
        let data = Data(result.body)
        guard (200..<300).contains(result.status) else {
            let error = try? JSONDecoder().decode(Wire.Error.self, from: data)
            throw ClientError.daemon(status: result.status, code: error?.error.code ?? "http_\(result.status)", message: error?.error.message ?? "")
        }
        return data
    }
}

extension DaemonConnection {
    /// A query value or path segment, percent-encoded: only letters, digits and `-._~` stay as they are.
    public static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// RFC 3986's unreserved characters (ASCII only: `CharacterSet.alphanumerics` would keep other scripts' letters raw).
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
