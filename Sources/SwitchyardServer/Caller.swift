import Synchronization
import SwitchyardConfig

/// Who sent a request: the peer of a Unix socket connection, a client named under `clients:`
/// (by its bearer token on TCP), or an anonymous TCP caller (`listen.tcp_without_token: true`).
public enum Caller: Hashable, Sendable, CustomStringConvertible {
    case unixPeer(uid: UInt32)
    case client(name: String)
    case anonymous

    /// The stable name events, logs, metrics and history use: `uid:1000`, `batch-jobs`, `anonymous`.
    public var label: String {
        switch self {
        case .unixPeer(let uid): "uid:\(uid)"
        case .client(let name): name
        case .anonymous: "anonymous"
        }
    }

    public var description: String { label }
}

/// The client tokens the authenticator checks, resolved from `clients:`; a reload swaps them
/// all at once (with `listen.tcp_without_token`), so a request sees either the old set or the new.
public final class ClientTokens: Sendable {
    /// One client's resolved token.
    public struct Entry: Sendable {
        public var name: String
        public var token: Secret

        public init(name: String, token: Secret) {
            self.name = name
            self.token = token
        }
    }

    /// What a reload replaces in one step.
    public struct Table: Sendable {
        public var entries: [Entry]
        /// Whether TCP callers without a token are let in as `.anonymous`.
        public var tcpWithoutToken: Bool

        public init(entries: [Entry] = [], tcpWithoutToken: Bool = false) {
            self.entries = entries
            self.tcpWithoutToken = tcpWithoutToken
        }
    }

    private let table: Mutex<Table>

    public init(_ table: Table = Table()) { self.table = Mutex(table) }

    /// The tokens now.
    public var current: Table { table.withLock { $0 } }

    /// Replaces every token (and the anonymous rule) at once.
    public func replace(with new: Table) { table.withLock { $0 = new } }
}
