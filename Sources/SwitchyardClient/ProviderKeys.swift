import Foundation

/// Which provider key goes to which candidate; the same rules as the Python client's.
///
/// - `perProvider[provider]` names the environment variable holding that provider's key; it goes
///   to that provider only. One key for a set of providers: name the same variable for each.
/// - `defaultEnvironment` (the default key) goes only to `defaultHosts` (`host` or `*.domain`),
///   and only over https or to this host.
/// - Every other candidate gets no key (`nil`): send no `Authorization` header.
///
/// `SwitchyardClient.apiKey(for:)` also withholds every key from a host the client does not trust.
public struct ProviderKeys: Sendable {
    public var perProvider: [String: String]
    public var defaultEnvironment: String?
    public var defaultHosts: [String]
    /// Reads a variable; the process environment at call time by default (tests pass their own).
    public var environment: @Sendable (String) -> String?

    public init(perProvider: [String: String] = [:], defaultEnvironment: String? = nil, defaultHosts: [String] = [],
                environment: @escaping @Sendable (String) -> String? = { ProcessInfo.processInfo.environment[$0] }) {
        self.perProvider = perProvider
        self.defaultEnvironment = defaultEnvironment
        self.defaultHosts = defaultHosts
        self.environment = environment
    }

    /// The key configured for `provider` at `baseURL`, or nil when it has none.
    public func key(provider: String, baseURL: String) -> String? {
        if let named = perProvider[provider], !named.isEmpty {
            return nonEmpty(environment(named))
        }
        guard let defaultEnvironment, Self.host(of: baseURL).map({ Self.matches($0, defaultHosts) }) == true,
              Self.isPrivate(baseURL) else { return nil }
        return nonEmpty(environment(defaultEnvironment))
    }

    private func nonEmpty(_ value: String?) -> String? { value.flatMap { $0.isEmpty ? nil : $0 } }

    /// The lower-case host of a URL, nil when it has none.
    static func host(of url: String) -> String? {
        guard let host = URLComponents(string: url)?.host, !host.isEmpty else { return nil }
        return host.lowercased()
    }

    /// Whether `host` is one of `patterns`: an exact host, or `*.domain` for any host under `domain`.
    static func matches(_ host: String, _ patterns: [String]) -> Bool {
        patterns.contains { pattern in
            let pattern = pattern.lowercased()
            return host == pattern || (pattern.hasPrefix("*.") && host.hasSuffix(pattern.dropFirst()))
        }
    }

    /// https, or this host: nobody on the way can read the key.
    static func isPrivate(_ url: String) -> Bool {
        guard let parts = URLComponents(string: url) else { return false }
        if parts.scheme == "https" { return true }
        let host = parts.host ?? ""
        let octets = host.split(separator: ".", omittingEmptySubsequences: false).map { UInt8($0) }
        let loopbackV4 = octets.count == 4 && !octets.contains(nil) && octets[0] == 127
        return host == "localhost" || host == "::1" || host == "[::1]" || loopbackV4
    }
}
