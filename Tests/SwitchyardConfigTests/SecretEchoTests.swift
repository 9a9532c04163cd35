import SwitchyardConfig
import Testing

/// A key pasted where a name, path or any other value belongs is never echoed: not in the
/// error (which reaches /readyz, events, the journal and STATUS=), not by check-config.
@Suite struct SecretEchoTests {
    static let shapes = [
        "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567",
        "sk-proj-4fGh7Jk9LmN2pQ5rS8tV1wX3yZ6aB0cD",
        "q7Zp3LxR9vT2mK8wN4bY6cH1jF5gD0sA9eU3iO7l",  // 40 random base62 characters
    ]
    static let provider = "providers:\n  - name: p\n    kind: openai\n    base_url: \"http://127.0.0.1:8000/v1\"\n"
    static let models = "    models: [{ name: m }]\n"
    static let redactedHint = " (a value that looks like a key or token is shown as <secret>; keys belong in an environment variable, a file or a systemd credential, named by *_env / *_file / *_credential)"

    /// (yaml with SECRET in it, line, column, exact message)
    static let places: [(String, Int, Int, String)] = [
        (provider + "    api_key_env: SECRET\n" + models, 5, 18,
         "providers[0].api_key_env holds what looks like a key or token itself, not the name of an environment variable; put the key in an environment variable and write api_key_env: NAME (or put it in a file for api_key_file: PATH, or use api_key_credential: NAME with systemd LoadCredential=)"),
        (provider + "    api_key_file: /run/keys/SECRET\n" + models, 5, 19,
         "providers[0].api_key_file holds what looks like a key or token itself, not the path of a file; put the key in an environment variable and write api_key_env: NAME (or put it in a file for api_key_file: PATH, or use api_key_credential: NAME with systemd LoadCredential=)"),
        (provider + "    api_key_credential: SECRET\n" + models, 5, 25,
         "providers[0].api_key_credential holds what looks like a key or token itself, not the name of a systemd credential; put the key in an environment variable and write api_key_env: NAME (or put it in a file for api_key_file: PATH, or use api_key_credential: NAME with systemd LoadCredential=)"),
        ("clients:\n  - name: c\n    token_env: SECRET\n" + provider + models, 3, 16,
         "clients[0].token_env holds what looks like a key or token itself, not the name of an environment variable; put the key in an environment variable and write token_env: NAME (or put it in a file for token_file: PATH, or use token_credential: NAME with systemd LoadCredential=)"),
        ("admin: { token_credential: SECRET }\n" + provider + models, 1, 28,
         "admin.token_credential holds what looks like a key or token itself, not the name of a systemd credential; put the key in an environment variable and write token_env: NAME (or put it in a file for token_file: PATH, or use token_credential: NAME with systemd LoadCredential=)"),
        ("providers:\n  - name: p\n    kind: SECRET\n    base_url: \"http://127.0.0.1:8000/v1\"\n" + models, 3, 11,
         "providers[0].kind: '<secret>' is not one of openai, hf-router, ollama, tgi, vllm, http" + redactedHint),
        ("SECRET: 1\n" + provider + models, 1, 1,
         "unknown key '<secret>' in the top level (known keys: admin, aliases, clients, fleet, gateway, listen, log_level, probe, providers, routing, state_dir, storage)" + redactedHint),
    ]

    @Test(arguments: shapes, places.indices)
    func aPastedKeyIsNeverEchoed(secret: String, place: Int) throws {
        let (template, line, column, message) = Self.places[place]
        let yaml = template.replacingOccurrences(of: "SECRET", with: secret)
        let error = try #require(throws: ConfigError.self) { try ConfigLoader.parse(yaml: yaml, file: "s.yaml") }
        #expect(error.description == "s.yaml:\(line):\(column): \(message)")
        #expect(!error.description.contains(secret.dropFirst(3).prefix(12)))
    }

    @Test(arguments: shapes)
    func checkConfigAndSecretErrorsRedactKeysInAnyValue(secret: String) throws {
        let yaml = "providers: [{ name: p, kind: openai, base_url: \"https://api.example.com/v1/\(secret)\", models: [{ name: m }] }]"
        let rendered = ConfigRenderer.render(try ConfigLoader.parse(yaml: yaml, file: "s.yaml"))
        #expect(!rendered.contains(secret))
        #expect(rendered.contains("base_url: \"https://api.example.com/v1/<secret>\""))
        #expect(SecretError(description: "cannot read \(secret)").description == "cannot read <secret>")
    }

    @Test(arguments: [
        "HF_TOKEN", "SWITCHYARD_BATCH_JOBS_TOKEN_PRODUCTION_2", "/etc/switchyard/keys/hf-token", "meta-llama/Llama-3.1-8B-Instruct:together",
        "Meta-Llama-3.1-70B-Instruct-Turbo", "hf_token", "sk-short", "llama3.1:8b", "2b7e1516-28ae-d2a6-abf7-158809cf4f3c",
    ])
    func ordinaryValuesAreNotTakenForKeys(text: String) {
        #expect(!SecretShape.containsSecret(text))
        #expect(SecretShape.redact(text) == text)
    }
}
