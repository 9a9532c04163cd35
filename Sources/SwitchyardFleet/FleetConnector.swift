import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import SwitchyardConfig

/// Opens connections to the fleet's PostgreSQL: resolves the URL from its secret reference,
/// sets up TLS when the URL asks for it, and turns failures into `FleetError`s that never
/// carry the password. Each connection is the caller's to close.
public struct FleetConnector: Sendable {
    /// Where the connections go (printable: no password).
    public let url: PostgresURL
    /// How long a connection attempt (TCP, TLS, login) may take.
    public var connectTimeoutSeconds: Double = 5
    private let logger: Logger

    /// A connector for `url`.
    public init(url: PostgresURL, logger: Logger) {
        self.url = url
        self.logger = logger
    }

    /// Resolves `settings.postgres` (env, file or systemd credential) and parses the URL.
    public init(settings: FleetSettings, resolver: SecretResolver = SecretResolver(), logger: Logger) throws(FleetError) {
        let text: Secret
        do {
            text = try resolver.resolve(settings.postgres, keyPrefix: "url")
        } catch {
            throw FleetError.badURL("\(error)")
        }
        self.init(url: try PostgresURL(parsing: text.exposedValue), logger: logger)
    }

    /// A new connection, logged in.
    public func connect() async throws(FleetError) -> PostgresConnection {
        let configuration: PostgresConnection.Configuration
        do {
            configuration = try makeConfiguration()
        } catch {
            throw FleetError.badURL("TLS for \(url): \(error)")
        }
        do {
            return try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration,
                id: Int.random(in: 1...Int(Int32.max)), logger: logger
            )
        } catch {
            throw classify(error)
        }
    }

    /// A `FleetError` for what a connection or statement threw, naming the server, never the password.
    public func classify(_ error: any Error) -> FleetError {
        if let error = error as? FleetError { return error }
        if let error = error as? PostgresTransactionError, let inner = error.closureError ?? error.beginError ?? error.commitError {
            return classify(inner)
        }
        guard let psql = error as? PSQLError else { return .unreachable("\(url): \(ConnectionFailureReason.of(error))") }
        switch psql.code {
        case .server:
            let state = psql.serverInfo?[.sqlState] ?? ""
            let message = psql.serverInfo?[.message] ?? "an error"
            if state.hasPrefix("28") { return .authentication("\(url): \(message)") }
            if state == "3D000" { return .server("\(url): \(message)") }
            if state.hasPrefix("57P") || state.hasPrefix("08") { return .unreachable("\(url): \(message)") }
            return .server("\(url): \(message) (SQLSTATE \(state))")
        case .sslUnsupported:
            return .unreachable("\(url): the server does not offer TLS")
        case .connectionError:
            return .unreachable("\(url): \(ConnectionFailureReason.of(psql.underlying))")
        case .serverClosedConnection:
            return .unreachable("\(url): the server closed the connection")
        case .clientClosedConnection, .uncleanShutdown, .poolClosed:
            return .unreachable("\(url): the connection closed")
        case .authMechanismRequiresPassword:
            return .authentication("\(url): the server asks for a password and the URL has none")
        default:
            return .server("\(url): \(psql.code)")
        }
    }

    private func makeConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch url.tls {
        case .disable:
            tls = .disable
        case .prefer, .require:
            var settings = TLSConfiguration.makeClientConfiguration()
            settings.certificateVerification = .none
            let context = try NIOSSLContext(configuration: settings)
            tls = url.tls == .prefer ? .prefer(context) : .require(context)
        case .verifyCA, .verifyFull:
            var settings = TLSConfiguration.makeClientConfiguration()
            settings.certificateVerification = url.tls == .verifyFull ? .fullVerification : .noHostnameVerification
            if let path = url.rootCertificatePath { settings.trustRoots = .file(path) }
            tls = .require(try NIOSSLContext(configuration: settings))
        }
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password?.exposedValue,
            database: url.database, tls: tls
        )
        configuration.options.connectTimeout = .milliseconds(Int64(connectTimeoutSeconds * 1000))
        return configuration
    }
}
