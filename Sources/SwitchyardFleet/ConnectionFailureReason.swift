import NIOCore
import NIOPosix

/// A short, clear reason for a failed connection to PostgreSQL ("connection refused", "timed
/// out", ...) in place of NIO's verbose error text. It never carries the URL or its password.
enum ConnectionFailureReason {
    /// The reason `error` (what postgres-nio gave as a connection error's cause) stands for.
    static func of(_ error: (any Error)?) -> String {
        guard let error else { return "the connection closed" }
        if let io = error as? IOError { return of(errno: io.errnoCode) }
        if let channel = error as? ChannelError {
            switch channel {
            case .connectTimeout: return "timed out connecting"
            case .eof, .alreadyClosed, .ioOnClosedChannel, .outputClosed, .inputClosed: return "the connection closed"
            default: return "the connection failed"
            }
        }
        if let connection = error as? NIOConnectionError {
            if connection.dnsAError != nil || connection.dnsAAAAError != nil, connection.connectionErrors.isEmpty {
                return "host name not found"
            }
            if let first = connection.connectionErrors.first { return of(first.error) }
            return "host name not found"
        }
        return "the connection failed"
    }

    /// The reason for a socket error number.
    static func of(errno code: CInt) -> String {
        switch code {
        case ECONNREFUSED: "connection refused"
        case ETIMEDOUT: "timed out"
        case EHOSTUNREACH, ENETUNREACH, EINVAL, ENETDOWN: "no route to host"  // EINVAL: a blackhole route
        case ECONNRESET, EPIPE: "connection reset"
        case ECONNABORTED: "connection aborted"
        default: "socket error \(code)"
        }
    }
}
