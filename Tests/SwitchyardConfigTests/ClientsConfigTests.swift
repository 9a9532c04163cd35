import SwitchyardConfig
import SwitchyardCore
import Testing

private let provider = #"providers: [{ name: p, kind: openai, base_url: "http://127.0.0.1:8000/v1", models: [{ name: m }] }]"#

/// `clients:` and `listen.tcp_without_token`: parsed fully, strict, errors pinned to file:line:column.
@Suite struct ClientsConfigTests {
    @Test func clientsParseWithTheirLimitsAndDefaultToNone() throws {
        let none = try ConfigLoader.parse(yaml: provider, file: "c.yaml")
        #expect(none.clients.isEmpty)
        #expect(none.listen.tcpWithoutToken == false)
        let yaml = """
            listen: { tcp_without_token: true }
            clients:
              - name: batch-jobs
                token_env: BATCH_TOKEN
                models: [llama-3.1-8b]
                budget: { usd_per_day: 5 }
                rate: { requests_per_minute: 600 }
              - { name: notebook, token_file: /etc/switchyard/notebook.token }
              - { name: ci, token_credential: ci-token }
            \(provider)
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: "c.yaml")
        #expect(config.listen.tcpWithoutToken)
        #expect(config.clients == [
            ClientSettings(name: "batch-jobs", token: .environment("BATCH_TOKEN"), models: [ModelName("llama-3.1-8b")], usdPerDay: 5, requestsPerMinute: 600),
            ClientSettings(name: "notebook", token: .file("/etc/switchyard/notebook.token")),
            ClientSettings(name: "ci", token: .credential("ci-token")),
        ])
        let rendered = ConfigRenderer.render(config)
        #expect(rendered.contains("  tcp_without_token: true\n"))
        #expect(rendered.contains("""
            clients:
              - name: "batch-jobs"
                token_env: BATCH_TOKEN
                models: ["llama-3.1-8b"]
                budget: { usd_per_day: 5.0 }
                rate: { requests_per_minute: 600 }
              - name: "notebook"
                token_file: /etc/switchyard/notebook.token
                # models: every model
            """))
        // What check-config prints parses back to the same configuration.
        var reparsed = try ConfigLoader.parse(yaml: rendered, file: "c.yaml")
        reparsed.source = config.source
        #expect(reparsed.clients == config.clients)
        #expect(reparsed.listen == config.listen)
    }

    @Test(arguments: [
        ("clients:\n  - { name: a, token: s3cr3t-value }\n", 2, 16,
         "client 'a': an inline token is not allowed; put it in an environment variable and set token_env: NAME, or use token_file: PATH or token_credential: NAME (systemd LoadCredential=)"),
        ("clients:\n  - { name: a }\n", 2, 5, "client 'a' needs a token: set token_env: NAME, token_file: PATH or token_credential: NAME"),
        ("clients:\n  - { name: a, token_env: A, token_file: /a }\n", 2, 30, "client 'a': set only one of token_env, token_file, token_credential"),
        ("clients:\n  - { name: a, token_env: A, tokens: 1 }\n", 2, 30,
         "unknown key 'tokens' in clients[0] (known keys: budget, models, name, rate, token, token_credential, token_env, token_file)"),
        ("clients:\n  - { name: a, token_env: A }\n  - { name: a, token_env: B }\n", 3, 5, "client name 'a' is used twice; names must be unique"),
        ("clients:\n  - { name: anonymous, token_env: A }\n", 2, 13, "clients[0].name: 'anonymous' is reserved for callers without a client; choose another name"),
        ("clients:\n  - { name: \"a b\", token_env: A }\n", 2, 13, "clients[0].name may only contain letters, digits, '-', '_' and '.' (at most 64)"),
        ("clients:\n  - { name: a, token_env: A, budget: { usd: 5 } }\n", 2, 40, "unknown key 'usd' in clients[0].budget (known keys: usd_per_day)"),
        ("clients:\n  - { name: a, token_env: A, budget: { usd_per_day: -1 } }\n", 2, 53, "clients[0].budget.usd_per_day must not be negative"),
        ("clients:\n  - { name: a, token_env: A, rate: { requests_per_minute: 0 } }\n", 2, 59, "clients[0].rate.requests_per_minute must be greater than 0"),
        ("clients:\n  - { name: a, token_env: A, models: [] }\n", 2, 38, "clients[0].models must list at least one model (leave it out to allow every model)"),
        ("listen: { tcp_without_token: yes }\n", 1, 30, "listen.tcp_without_token must be true or false"),
    ])
    func invalidClientsArePinnedToTheirPlace(yaml: String, line: Int, column: Int, message: String) throws {
        let error = try #require(throws: ConfigError.self) { try ConfigLoader.parse(yaml: yaml + provider, file: "c.yaml") }
        #expect(error.description == "c.yaml:\(line):\(column): \(message)")
    }
}
