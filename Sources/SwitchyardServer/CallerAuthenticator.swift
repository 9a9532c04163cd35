import Hummingbird
import SwitchyardConfig

/// Says who sent a request, for the routes that act on a caller's word (reports, the gateway).
///
/// Call `caller(_:_:)` with the request and its context:
/// - on the Unix socket it returns `.unixPeer(uid:)` from `SO_PEERCRED` (the socket's file mode
///   decides who may connect; `.anonymous` only if the kernel does not name the peer);
/// - on TCP with `Authorization: Bearer <token>` it returns `.client(name:)` when the token is a
///   configured client's, and throws a 401 `unknown_token` otherwise;
/// - on TCP without a bearer token it returns `.anonymous` when `listen.tcp_without_token: true`,
///   and throws a 401 `token_required` otherwise.
/// Tokens are compared in constant time, against every client, so timing tells nothing.
/// The errors are `APIError`s (JSON `{"error": {"code", "message"}}`, `WWW-Authenticate: Bearer`).
public struct CallerAuthenticator: Sendable {
    /// The resolved client tokens and the anonymous rule, as one reload left them.
    public var table: ClientTokens.Table

    public init(table: ClientTokens.Table) { self.table = table }

    /// The caller of `request`, or a 401 `APIError`.
    public func caller(_ request: Request, _ context: APIRequestContext) async throws -> Caller {
        switch context.listener {
        case .unix:
            return await context.peerUID().map { Caller.unixPeer(uid: $0) } ?? .anonymous
        case .tcp:
            return try caller(authorization: request.headers[.authorization])
        }
    }

    /// The TCP caller for an `Authorization` header value (nil when absent).
    public func caller(authorization: String?) throws -> Caller {
        guard let header = authorization else {
            guard table.tcpWithoutToken else {
                throw Self.unauthorized("token_required",
                                        "over TCP this route needs 'Authorization: Bearer <token>' of a client under clients: (or use the Unix socket)")
            }
            return .anonymous
        }
        // The scheme name is case-insensitive (RFC 9110 §11.1).
        guard header.prefix(7).lowercased() == "bearer " else {
            throw Self.unauthorized("unknown_token", "the Authorization header is not 'Bearer <token>'")
        }
        let given = Array(header.dropFirst(7).utf8)
        var match: String?
        for entry in table.entries where AdminAuthorizer.constantTimeEqual(given, Array(entry.token.exposedValue.utf8)) {
            // No early exit: every token is compared whichever matches.
            match = match ?? entry.name
        }
        guard let match else {
            throw Self.unauthorized("unknown_token", "the bearer token is not the token of any client under clients:")
        }
        return .client(name: match)
    }

    private static func unauthorized(_ code: String, _ message: String) -> APIError {
        var error = APIError(.unauthorized, code: code, message: message)
        error.wwwAuthenticate = "Bearer"
        return error
    }
}
