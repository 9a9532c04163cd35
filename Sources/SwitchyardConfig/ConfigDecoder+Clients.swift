import SwitchyardCore

extension ConfigDecoder {
    /// Labels the API gives callers that are not clients; a client may not take them.
    static let reservedClientNames: Set<String> = ["anonymous", "unix", "token", "signal"]

    /// `clients:` — a list of named callers, each with a token reference and optional limits.
    func decodeClients(_ cursor: YAMLCursor) throws -> [ClientSettings] {
        var clients: [ClientSettings] = []
        for item in try cursor.sequence() {
            let client = try decodeClient(item)
            guard !clients.contains(where: { $0.name == client.name }) else {
                throw item.error("client name '\(client.name)' is used twice; names must be unique")
            }
            clients.append(client)
        }
        return clients
    }

    private func decodeClient(_ cursor: YAMLCursor) throws -> ClientSettings {
        let map = try cursor.mapping(allowedKeys: ["name", "token", "token_env", "token_file", "token_credential", "models", "budget", "rate"])
        let nameCursor = try map.required("name")
        let name = try nameCursor.nonEmptyString()
        guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }), name.count <= 64 else {
            throw nameCursor.error("\(nameCursor.path) may only contain letters, digits, '-', '_' and '.' (at most 64)")
        }
        guard !Self.reservedClientNames.contains(name) else {
            throw nameCursor.error("\(nameCursor.path): '\(name)' is reserved for callers without a client; choose another name")
        }
        if let inline = map.keyCursor("token") {
            throw inline.error(
                "client '\(name)': an inline token is not allowed; put it in an environment variable and set token_env: NAME, or use token_file: PATH or token_credential: NAME (systemd LoadCredential=)"
            )
        }
        guard let token = try decodeSecretReference(map, prefix: "token", owner: "client '\(name)'") else {
            throw cursor.error("client '\(name)' needs a token: set token_env: NAME, token_file: PATH or token_credential: NAME")
        }
        var client = ClientSettings(name: name, token: token)
        if let c = map.optional("models") {
            let models = try c.sequence().map { ModelName(try $0.nonEmptyString()) }
            guard !models.isEmpty else { throw c.error("\(c.path) must list at least one model (leave it out to allow every model)") }
            client.models = models
        }
        if let c = map.optional("budget") {
            let budget = try c.mapping(allowedKeys: ["usd_per_day"])
            client.usdPerDay = try budget.required("usd_per_day").nonNegativeDouble()
        }
        if let c = map.optional("rate") {
            let rate = try c.mapping(allowedKeys: ["requests_per_minute"])
            client.requestsPerMinute = try rate.required("requests_per_minute").positiveInt()
        }
        return client
    }
}
