import SwitchyardConfig
import SwitchyardCore
import SwitchyardServer

/// The tokens the API checks, resolved from the configuration: the admin token and the clients' tokens.
enum AccessTokens {
    /// The admin bearer token (`admin:`), nil when none is configured.
    static func admin(_ config: Configuration, environment: [String: String]) throws -> Secret? {
        do {
            return try config.admin.token.map { try SecretResolver(environment: environment).resolve($0, keyPrefix: "token") }
        } catch {
            throw StartupError(description: "admin token: \(error)")
        }
    }

    /// Every client's token (`clients:`) with `listen.tcp_without_token`. Two clients with the same
    /// token could not be told apart, so that is refused (naming the clients, never the token).
    static func clients(_ config: Configuration, environment: [String: String]) throws -> ClientTokens.Table {
        let resolver = SecretResolver(environment: environment)
        var entries: [ClientTokens.Entry] = []
        for client in config.clients {
            let token: Secret
            do {
                token = try resolver.resolve(client.token, keyPrefix: "token")
            } catch {
                throw StartupError(description: "client '\(client.name)': \(error)")
            }
            if let twin = entries.first(where: { $0.token == token }) {
                throw StartupError(description: "clients '\(twin.name)' and '\(client.name)' have the same token; give each client its own")
            }
            entries.append(ClientTokens.Entry(name: client.name, token: token))
        }
        return ClientTokens.Table(entries: entries, tcpWithoutToken: config.listen.tcpWithoutToken)
    }
}
