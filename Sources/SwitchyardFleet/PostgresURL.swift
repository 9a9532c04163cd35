import Foundation
import SwitchyardConfig

/// A PostgreSQL connection URL (`postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=require`), parsed.
/// The password is a `Secret`: this value prints, and its errors read, without it.
public struct PostgresURL: Sendable, CustomStringConvertible {
    /// How the connection uses TLS, as libpq's `sslmode` says it.
    public enum TLSMode: String, Sendable, CaseIterable {
        /// Plain TCP (also `allow` and `prefer` without a certificate to check: loopback and tests).
        case disable
        /// TLS if the server offers it, else plain.
        case prefer
        /// TLS always, the server's certificate not checked (libpq's `require`).
        case require
        /// TLS always, the certificate checked against the trusted roots (`sslrootcert`), not the host name.
        case verifyCA = "verify-ca"
        /// TLS always, the certificate and the host name checked.
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: Secret?
    public var database: String
    public var tls: TLSMode
    /// A PEM file of trusted roots for `verify-ca` / `verify-full` (`sslrootcert=`); nil uses the system's.
    public var rootCertificatePath: String?

    /// Where the URL points, without the password: `postgres://user@host:port/db (sslmode=require)`.
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database) (sslmode=\(tls.rawValue))" }

    /// Parses `text`; errors never quote it (it may carry the password).
    public init(parsing text: String) throws(FleetError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme,
              ["postgres", "postgresql"].contains(scheme.lowercased()) else {
            throw FleetError.badURL("the PostgreSQL URL must look like postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        guard let host = components.host, !host.isEmpty else { throw FleetError.badURL("the PostgreSQL URL names no host") }
        guard let user = components.user?.removingPercentEncoding, !user.isEmpty else {
            throw FleetError.badURL("the PostgreSQL URL names no user (postgres://USER:PASSWORD@HOST/DATABASE)")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.user = user
        self.password = components.password.flatMap { $0.removingPercentEncoding }.map(Secret.init)
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? user : (path.removingPercentEncoding ?? path)
        self.tls = .disable
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                switch item.value ?? "" {
                case "disable", "allow": tls = .disable
                case let value:
                    guard let mode = TLSMode(rawValue: value) else {
                        throw FleetError.badURL("sslmode '\(value)' is not one of disable, allow, prefer, require, verify-ca, verify-full")
                    }
                    tls = mode
                }
            case "sslrootcert": rootCertificatePath = item.value
            case "application_name", "connect_timeout": continue
            default: throw FleetError.badURL("the PostgreSQL URL's parameter '\(item.name)' is not supported (sslmode, sslrootcert)")
            }
        }
    }
}
