import Foundation
import SwitchyardConfig
import SwitchyardCore
import Testing

private func fixture(_ name: String) throws -> String {
    try #require(Bundle.module.path(forResource: name, ofType: "yaml", inDirectory: "Fixtures"))
}

@Suite struct ConfigLoaderTests {
    @Test func validConfigMergesDefaultsAndOverrides() throws {
        let config = try ConfigLoader.load(path: try fixture("valid"))
        #expect(config.listen.tcp == HostPort(host: "127.0.0.1", port: 7464))
        #expect(config.listen.unix == .path("/run/switchyard/switchyard.sock"))
        #expect(config.providers.map(\.name.rawValue) == ["together", "local-ollama"])
        let together = config.providers[0]
        #expect(together.kind == .hfRouter)
        #expect(together.apiKey == .environment("HF_TOKEN"))
        #expect(together.price == Price(inputPerMTok: 0.18, outputPerMTok: 0.59))
        #expect(together.budget?.probeUSDPerDay == 0.5)
        #expect(together.models[0].upstream == "meta-llama/Llama-3.1-8B-Instruct:together")
        let ollama = config.providers[1]
        #expect(ollama.baseURL == "http://127.0.0.1:11434")
        #expect(ollama.probe.intervalSeconds == 90)
        #expect(ollama.probe.mode == .liveness)
        #expect(ollama.probe.timeoutSeconds == 30)
        #expect(ollama.models[0].probe.timeoutSeconds == 0.5)
        #expect(ollama.models[0].probe.connectTimeoutSeconds == 0.5)
        #expect(ollama.models[0].probe.intervalSeconds == 90)
        #expect(config.targetDescriptors.map(\.preferenceOrder) == [0, 1])
        #expect(config.routing.scoring.stabilityMargin == 0.15)
        #expect(config.routing.scoring.spreadPeriodSeconds == 120)
        #expect(config.routing.health.consecutiveFailuresToEject == 5)
        #expect(config.routing.health.failureRatioToEject == 0.4)
        #expect(config.routing.health.maxEjectionSeconds == 600)
        #expect(config.routing.health.baseEjectionSeconds == 30)
    }

    @Test(arguments: [
        ("invalid-unknown-key", 5, 5, "unknown key 'modles' in providers[0] (known keys: api_key, api_key_credential, api_key_env, api_key_file, base_url, budget, capabilities, discover, kind, models, name, price, probe, task)"),
        ("invalid-inline-key", 5, 5, "provider 'together': inline api_key is not allowed; put the key in an environment variable and set api_key_env: NAME, or use api_key_file: PATH or api_key_credential: NAME (systemd LoadCredential=)"),
        ("invalid-kind", 3, 11, "providers[0].kind: 'openia' is not one of openai, hf-router, ollama, tgi, vllm, http"),
        ("invalid-duration", 2, 13, "probe.interval: '15 seconds' is not a duration (use e.g. 500ms, 15s, 2m, 1h)"),
        ("invalid-duplicate-provider", 6, 5, "provider name 'p' is used twice; names must be unique"),
        ("invalid-syntax", 4, 1, "invalid YAML: while parsing a flow sequence did not find expected ',' or ']'"),
        ("invalid-base-url", 4, 15, "providers[0].base_url: 'ftp://files.example.com' is not an http:// or https:// URL"),
        ("invalid-missing-models", 2, 5, "providers[0] is missing required key 'models'"),
        ("invalid-tcp", 2, 8, "listen.tcp: 'localhost' is not host:port (e.g. 127.0.0.1:7464, [::1]:7464, or \"\" to disable)"),
        ("invalid-price", 5, 30, "providers[0].price.input_per_mtok must not be negative"),
        ("invalid-timeouts", 2, 3, "probe.connect_timeout (10s) is longer than timeout (2s)"),
        ("invalid-routing", 2, 21, "routing.stability_margin: '150%' is not a share between 0 and 1 (e.g. 10% or 0.1)"),
        ("invalid-retention", 2, 41, "storage.retention.minute_rollups: '30 days' is not a duration (use e.g. 500ms, 15s, 2m, 1h)"),
        ("invalid-retention-order", 3, 21, "storage.retention.minute_rollups (60d) is longer than hour_rollups (30d); hours are what remains after minutes expire"),
        ("invalid-two-keys", 6, 5, "provider 'p': set only one of api_key_env, api_key_file, api_key_credential"),
        ("invalid-admin-inline-token", 2, 3, "admin: an inline token is not allowed; put it in an environment variable and set token_env: NAME, or use token_file: PATH or token_credential: NAME (systemd LoadCredential=)"),
        ("invalid-admin-two-keys", 3, 3, "admin: set only one of token_env, token_file, token_credential"),
        ("invalid-max-connections", 2, 20, "listen.max_connections must be greater than 0"),
    ])
    func invalidConfigIsPinnedToItsPlace(name: String, line: Int, column: Int, message: String) throws {
        let path = try fixture(name)
        let error = try #require(throws: ConfigError.self) { try ConfigLoader.load(path: path) }
        #expect(error.description == "\(path):\(line):\(column): \(message)")
    }

    @Test func storageRetentionDefaultsAndOverrides() throws {
        let defaults = try ConfigLoader.load(path: try fixture("valid")).storage
        #expect(defaults == StorageSettings())
        #expect(defaults.rawRetentionSeconds == 7 * 86_400)
        let yaml = """
            storage: { retention: { raw: 2d, minute_rollups: 10d, hour_rollups: 90d }, busy_timeout: 250ms }
            providers: [{ name: p, kind: openai, base_url: "http://127.0.0.1:8000/v1", models: [{ name: m }] }]
            """
        let storage = try ConfigLoader.parse(yaml: yaml, file: "s.yaml").storage
        #expect(storage.rawRetentionSeconds == 2 * 86_400)
        #expect(storage.minuteRetentionSeconds == 10 * 86_400)
        #expect(storage.hourRetentionSeconds == 90 * 86_400)
        #expect(storage.busyTimeoutSeconds == 0.25)
    }

    @Test func inlineKeyErrorNeverEchoesTheKey() throws {
        let error = try #require(throws: ConfigError.self) { try ConfigLoader.load(path: try fixture("invalid-inline-key")) }
        #expect(!error.description.contains("SECRET"))
    }

    @Test func missingFileIsAnError() {
        #expect(throws: ConfigError(file: "/nonexistent/switchyard.yaml", line: 1, column: 1, message: "cannot read the config file")) {
            try ConfigLoader.load(path: "/nonexistent/switchyard.yaml")
        }
    }

    @Test func emptyTCPDisablesTheListener() throws {
        let config = try ConfigLoader.parse(yaml: """
            listen: { tcp: "", unix: "" }
            providers: [{ name: p, kind: openai, base_url: "http://127.0.0.1:1/v1", models: [{ name: a }] }]
            """, file: "inline.yaml")
        #expect(config.listen.tcp == nil)
        #expect(config.listen.unix == .disabled)
        #expect(config.providers[0].models[0].upstream == "a")
    }

    @Test func embeddedDefaultParsesAndAddsTheRouterOnlyWithAToken() throws {
        let without = try EmbeddedDefault.configuration(environment: [:])
        #expect(without.providers.map(\.name.rawValue) == ["local-ollama", "local-vllm", "local-tgi"])
        #expect(without.probe.mode == .liveness)
        let with = try EmbeddedDefault.configuration(environment: ["HF_TOKEN": "hf_x"])
        #expect(with.providers.last?.apiKey == .environment("HF_TOKEN"))
    }

    @Test func effectiveConfigRoundTrips() throws {
        let config = try ConfigLoader.load(path: try fixture("valid"))
        let rendered = ConfigRenderer.render(config)
        var reparsed = try ConfigLoader.parse(yaml: rendered, file: config.source)
        reparsed.source = config.source
        #expect(reparsed == config)
    }

    @Test func listenLimitsAndAdminTokenRoundTripThroughCheckConfig() throws {
        let yaml = """
            listen: { tcp: "127.0.0.1:7464", unix: /tmp/s.sock, unix_group: switchyard, max_body_bytes: 65536, header_timeout: 5s, idle_timeout: 30s, max_connections: 64 }
            admin: { token_credential: admin-token }
            providers: [{ name: p, kind: openai, base_url: "http://127.0.0.1:8000/v1", models: [{ name: m }] }]
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: "limits.yaml")
        #expect(config.listen.unixGroup == "switchyard")
        #expect(config.listen.limits.maxBodyBytes == 65536)
        #expect(config.listen.limits.headerTimeoutSeconds == 5)
        #expect(config.listen.limits.idleTimeoutSeconds == 30)
        #expect(config.listen.limits.maxConnections == 64)
        #expect(config.admin.token == .credential("admin-token"))
        let rendered = ConfigRenderer.render(config)
        #expect(rendered.contains("  max_connections: 64\n"))
        #expect(rendered.contains("admin: { token_credential: admin-token }"))
        var reparsed = try ConfigLoader.parse(yaml: rendered, file: "limits.yaml")
        reparsed.source = config.source
        #expect(reparsed == config)
        let defaults = ConfigRenderer.render(try ConfigLoader.load(path: try fixture("valid")))
        #expect(defaults.contains("  max_body_bytes: 1048576\n  header_timeout: 10s\n  idle_timeout: 1m\n  max_connections: 512\n"), "\(defaults)")
    }

    @Test(arguments: [("15s", 15.0), ("250ms", 0.25), ("2m", 120.0), ("1h", 3600.0), ("1m30s", 90.0)])
    func durations(text: String, seconds: Double) throws {
        let config = try ConfigLoader.parse(yaml: """
            probe: { interval: \(text) }
            providers: [{ name: p, kind: openai, base_url: "http://127.0.0.1:1/v1", models: [{ name: a }] }]
            """, file: "inline.yaml")
        #expect(config.probe.intervalSeconds == seconds)
    }
}

@Suite struct SecretTests {
    @Test func secretsPrintAsPlaceholderEverywhere() throws {
        let secret = Secret("hf_supersecret")
        #expect("\(secret)" == "<secret>")
        #expect(String(reflecting: secret) == "<secret>")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("supersecret"))
        let encoded = String(decoding: try JSONEncoder().encode(["key": secret]), as: UTF8.self)
        #expect(encoded == #"{"key":"<secret>"}"#)
    }

    @Test func resolvesFromEnvironmentFileAndCredential() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sy-secrets-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "from-file\n".write(toFile: directory + "/key", atomically: true, encoding: .utf8)
        try "from-credential".write(toFile: directory + "/hf", atomically: true, encoding: .utf8)
        let resolver = SecretResolver(environment: ["TOKEN": "from-env", "CREDENTIALS_DIRECTORY": directory])
        #expect(try resolver.resolve(.environment("TOKEN")).exposedValue == "from-env")
        #expect(try resolver.resolve(.file(directory + "/key")).exposedValue == "from-file")
        #expect(try resolver.resolve(.credential("hf")).exposedValue == "from-credential")
    }

    @Test func missingSecretsSayWhereTheyLooked() {
        let resolver = SecretResolver(environment: [:])
        #expect(throws: SecretError(description: "environment variable HF_TOKEN (api_key_env) is not set")) { try resolver.resolve(.environment("HF_TOKEN")) }
        #expect(throws: SecretError(description: "api_key_credential hf needs CREDENTIALS_DIRECTORY (set by systemd LoadCredential=)")) { try resolver.resolve(.credential("hf")) }
        // The admin token names its own keys.
        #expect(throws: SecretError(description: "environment variable ADMIN (token_env) is not set")) {
            try resolver.resolve(.environment("ADMIN"), keyPrefix: "token")
        }
    }
}
