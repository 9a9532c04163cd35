import Hummingbird
import Synchronization
import SwitchyardConfig
import SwitchyardCore
import SwitchyardWire

/// The admin bearer token, replaceable by a configuration reload while requests read it.
public final class AdminToken: Sendable {
    private let token: Mutex<Secret?>

    public init(_ token: Secret? = nil) { self.token = Mutex(token) }

    /// The token now; nil refuses admin requests over TCP.
    public var current: Secret? { token.withLock { $0 } }

    public func replace(with new: Secret?) { token.withLock { $0 = new } }
}

/// Decides who may use the admin routes: anyone who can open the Unix socket (its file
/// mode and group say who), over TCP only a bearer of the configured token.
struct AdminAuthorizer: Sendable {
    /// The configured token; nil refuses admin over TCP.
    var token: Secret?

    /// The caller as the events log names it (`uid:N` or `token`), or a 403.
    func caller(_ request: Request, _ context: APIRequestContext) async throws -> String {
        switch context.listener {
        case .unix:
            return await context.peerUID().map { "uid:\($0)" } ?? "unix"
        case .tcp:
            guard let token else {
                throw APIError(.forbidden, code: "admin_forbidden",
                               message: "admin routes over TCP need a configured token (admin: { token_env: NAME }); use the Unix socket instead")
            }
            // The scheme name is case-insensitive (RFC 9110 §11.1).
            let given = request.headers[.authorization].flatMap { header -> Substring? in
                header.prefix(7).lowercased() == "bearer " ? header.dropFirst(7) : nil
            }
            guard let given else {
                var missing = APIError(.unauthorized, code: "admin_unauthorized", message: "admin routes over TCP need 'Authorization: Bearer <token>'")
                missing.wwwAuthenticate = "Bearer"
                throw missing
            }
            guard Self.constantTimeEqual(Array(given.utf8), Array(token.exposedValue.utf8)) else {
                throw APIError(.forbidden, code: "admin_forbidden", message: "the bearer token does not match the configured admin token")
            }
            return "token"
        }
    }

    /// Compares without an early exit, so the time taken does not tell how much of a guess was right.
    static func constantTimeEqual(_ given: [UInt8], _ expected: [UInt8]) -> Bool {
        var difference = UInt(bitPattern: given.count ^ expected.count)
        for index in expected.indices {
            difference |= UInt(expected[index] ^ (index < given.count ? given[index] : 0))
        }
        return difference == 0
    }
}

/// `POST /v1/admin/providers/{name}/drain|undrain` and `POST /v1/admin/reload`.
enum AdminRoutes {
    static func setDraining(_ draining: Bool, _ request: Request, _ context: APIRequestContext, _ deps: APIDependencies) async throws -> Response {
        let fleetWide = try fleetWide(request)  // a bad parameter is named before auth, as on every route
        let caller = try await deps.authorizer.caller(request, context)
        let name = try context.parameters.require("name")
        let provider = ProviderID(name)
        if fleetWide {
            try await recordForFleet(provider, draining: draining, caller: caller, deps)
        }
        guard let transitions = deps.healthBook.setDraining(draining, provider: provider, at: deps.clock.now(), by: caller) else {
            throw APIError.notFound("unknown_provider", "no provider named '\(name)'; configured: \(configuredProviders(deps))")
        }
        deps.admin.record(transitions)
        if !transitions.isEmpty { _ = await deps.stored() }  // a 200 means the events log has it
        context.logger.notice("\(draining ? "drained" : "undrained") by \(caller)", metadata: ["provider": "\(provider)", "event": "admin"])
        return try JSONResponse.make(Wire.AdminDrain(caller: caller, changed: transitions.map { Wire.Event(.transition($0)) }, draining: draining, provider: provider.rawValue))
    }

    /// Whether `?fleet=true` asks for every host of the group.
    private static func fleetWide(_ request: Request) throws -> Bool {
        switch try QueryParameters(request, known: ["fleet"]).text("fleet") {
        case nil, "false": false
        case "true": true
        case let other?: throw APIError.badParameter("fleet", "'\(other)' is not true or false")
        }
    }

    /// Records a fleet-wide drain before this host applies it, so a 200 means every host will.
    private static func recordForFleet(_ provider: ProviderID, draining: Bool, caller: String, _ deps: APIDependencies) async throws {
        guard let fleetDrain = deps.admin.fleetDrain else {
            throw APIError(.conflict, code: "fleet_not_configured", message: "fleet=true needs a fleet: section; this daemon shares nothing")
        }
        guard deps.healthBook.snapshots().contains(where: { $0.descriptor.target.provider == provider }) else {
            throw APIError.notFound("unknown_provider", "no provider named '\(provider)'; configured: \(configuredProviders(deps))")
        }
        do {
            try await fleetDrain(provider, draining, caller)
        } catch {
            throw APIError(.serviceUnavailable, code: "fleet_unreachable", message: "the fleet's PostgreSQL did not take the drain (\(error)); nothing changed")
        }
    }

    static func reload(_ request: Request, _ context: APIRequestContext, _ deps: APIDependencies) async throws -> Response {
        let caller = try await deps.authorizer.caller(request, context)
        let outcome = await deps.admin.reload(caller)
        context.logger.notice("reload by \(caller): \(outcome.message)", metadata: ["event": "admin", "succeeded": "\(outcome.succeeded)"])
        guard outcome.succeeded else {
            // 409: the request was understood, but the daemon's state (its config file) does not allow it; the old config keeps running.
            throw APIError(.conflict, code: "reload_refused", message: outcome.message)
        }
        return try JSONResponse.make(Wire.Reload(added: outcome.added, caller: caller, kept: outcome.kept, message: outcome.message, reloaded: true, removed: outcome.removed))
    }

    static func configuredProviders(_ deps: APIDependencies) -> String {
        var seen: [String] = []
        for snapshot in deps.healthBook.snapshots() where seen.last != snapshot.descriptor.target.provider.rawValue {
            seen.append(snapshot.descriptor.target.provider.rawValue)
        }
        return seen.joined(separator: ", ")
    }
}
