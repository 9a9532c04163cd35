import SwitchyardConfig

/// Why the fleet cannot use PostgreSQL. Messages name the server, user and database,
/// never the password or the URL's text.
public enum FleetError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The URL (from `url_env` / `url_file` / `url_credential`) is missing or malformed.
    case badURL(String)
    /// The server could not be reached, or the connection broke.
    case unreachable(String)
    /// The server refused the user or its password.
    case authentication(String)
    /// The database's fleet schema is newer than this build knows: the host keeps serving alone.
    case newerSchema(found: Int, known: Int)
    /// A statement failed on the server.
    case server(String)
    /// An operation did not finish in time.
    case timedOut(String)

    public var description: String {
        switch self {
        case .badURL(let text): SecretShape.redact("bad fleet.postgres URL: \(text)")
        case .unreachable(let text): SecretShape.redact("PostgreSQL unreachable: \(text)")
        case .authentication(let text): SecretShape.redact("PostgreSQL refused the login: \(text)")
        case .newerSchema(let found, let known):
            "the fleet database has schema version \(found), newer than this build's \(known): upgrade this host; it serves alone meanwhile"
        case .server(let text): SecretShape.redact("PostgreSQL error: \(text)")
        case .timedOut(let text): "PostgreSQL did not answer in time: \(text)"
        }
    }
}
