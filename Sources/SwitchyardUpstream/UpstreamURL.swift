/// A plain-HTTP upstream URL split for a socket: `http://host[:port]/path?query`.
struct UpstreamURL: Sendable {
    var host: String
    var port: Int
    /// Path and query, as sent in the request line.
    var path: String

    /// As written in the URL: the pool key and the `Host` header.
    var authority: String

    /// Nil for anything but `http://` with a host (no user info, a port in range).
    init?(_ url: String) {
        guard url.hasPrefix("http://") else { return nil }
        let rest = url.dropFirst("http://".count)
        let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<slash]
        let path = rest[slash...]
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        self.authority = String(authority)
        if authority.hasPrefix("[") {
            // An IPv6 literal: [::1]:8000
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.isEmpty {
                port = 80
            } else {
                guard after.hasPrefix(":"), let value = Int(after.dropFirst()) else { return nil }
                port = value
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let value = Int(authority[authority.index(after: colon)...]) else { return nil }
            port = value
        } else {
            host = String(authority)
            port = 80
        }
        guard !host.isEmpty, (1...65535).contains(port) else { return nil }
        self.path = path.isEmpty ? "/" : path.hasPrefix("?") ? "/" + path : String(path)
    }
}
