import SwitchyardConfig
import Testing

/// The `gateway:` section and `attempt_timeout`: defaults, overrides, strict keys with
/// `file:line:column` errors, and `check-config`'s rendering.
struct GatewayConfigTests {
    static let providers = """
        providers:
          - name: p
            kind: openai
            base_url: https://api.example.com/v1
            probe: { attempt_timeout: 45s }
            models: [{ name: a }, { name: b, probe: { attempt_timeout: 5s } }]
        """

    @Test func defaultsAndOverrides() throws {
        let defaults = try ConfigLoader.parse(yaml: Self.providers, file: "g.yaml")
        #expect(defaults.gateway == GatewaySettings())
        #expect(defaults.gateway.enabled && defaults.gateway.maxAttempts == 3 && defaults.gateway.maxConcurrent == 256
                && defaults.gateway.requestDeadlineSeconds == 120)
        #expect(defaults.probe.attemptTimeoutSeconds == nil)
        #expect(defaults.providers[0].models.map(\.probe.attemptTimeoutSeconds) == [45, 5], "inherited from the provider, overridden by the model")

        let set = try ConfigLoader.parse(yaml: "gateway: { enabled: false, max_attempts: 2, max_concurrent: 8, request_deadline: 30s }\n" + Self.providers, file: "g.yaml")
        #expect(!set.gateway.enabled && set.gateway.maxAttempts == 2 && set.gateway.maxConcurrent == 8 && set.gateway.requestDeadlineSeconds == 30)
        let rendered = ConfigRenderer.render(set)
        #expect(rendered.contains("gateway: { enabled: false, max_attempts: 2, max_concurrent: 8, request_deadline: 30s }"))
        #expect(rendered.contains("attempt_timeout: 45s") && rendered.contains("attempt_timeout: 5s"))
        #expect(try ConfigLoader.parse(yaml: rendered, file: "again.yaml").gateway == set.gateway, "check-config's output reads back the same")
    }

    @Test(arguments: [
        ("gateway: { max_attemps: 2 }", 1, 12, "unknown key 'max_attemps' in gateway (known keys: enabled, max_attempts, max_concurrent, request_deadline)"),
        ("gateway: { max_attempts: 0 }", 1, 26, "gateway.max_attempts must be greater than 0"),
        ("gateway: { enabled: yes }", 1, 21, "gateway.enabled must be true or false"),
        ("gateway: { request_deadline: soon }", 1, 30, "gateway.request_deadline: 'soon' is not a duration (use e.g. 500ms, 15s, 2m, 1h)"),
    ])
    func badGatewaySettingsArePinnedToTheirPlace(yaml: String, line: Int, column: Int, message: String) {
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.parse(yaml: yaml + "\n" + Self.providers, file: "g.yaml") }
        #expect(error?.description == "g.yaml:\(line):\(column): \(message)")
    }
}
