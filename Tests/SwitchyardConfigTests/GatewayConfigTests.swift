import SwitchyardConfig
import SwitchyardCore
import Testing

/// One openai provider `p` (its probe block on line 5) with `probe` as its `probe:` and `models` as its model list.
private func oneProvider(probe: String, models: String) -> String {
    """
    providers:
      - name: p
        kind: openai
        base_url: https://api.example.com/v1
        probe: \(probe)
        models: \(models)
    """
}

/// The `gateway:` section and `attempt_timeout`: defaults, overrides, strict keys with
/// `file:line:column` errors, and `check-config`'s rendering.
struct GatewayConfigTests {
    static let providers = oneProvider(probe: "{ attempt_timeout: 45s }", models: "[{ name: a }, { name: b, probe: { attempt_timeout: 5s } }]")

    @Test func defaultsAndOverrides() throws {
        let defaults = try ConfigLoader.parse(yaml: Self.providers, file: "g.yaml")
        #expect(defaults.gateway == GatewaySettings())
        #expect(defaults.gateway.enabled && defaults.gateway.maxAttempts == 3 && defaults.gateway.maxConcurrent == 256
                && defaults.gateway.requestDeadlineSeconds == 120)
        #expect(defaults.probe.attemptTimeoutSeconds == nil)
        #expect(defaults.providers[0].models.map(\.probe.attemptTimeoutSeconds) == [45, 5], "inherited from the provider, overridden by the model")

        #expect(defaults.gateway.maxUploadBytes == 25 << 20 && defaults.gateway.maxAnswerBytes == 32 << 20 && defaults.gateway.uploadBudgetBytes == 256 << 20)
        let set = try ConfigLoader.parse(yaml: "gateway: { enabled: false, max_attempts: 2, max_concurrent: 8, request_deadline: 30s, max_upload_bytes: 4096, max_answer_bytes: 8192, upload_budget_bytes: 65536 }\n"
                                         + Self.providers, file: "g.yaml")
        #expect(!set.gateway.enabled && set.gateway.maxAttempts == 2 && set.gateway.maxConcurrent == 8 && set.gateway.requestDeadlineSeconds == 30)
        #expect(set.gateway.maxUploadBytes == 4096 && set.gateway.maxAnswerBytes == 8192 && set.gateway.uploadBudgetBytes == 65536)
        let rendered = ConfigRenderer.render(set)
        #expect(rendered.contains("gateway: { enabled: false, max_attempts: 2, max_concurrent: 8, request_deadline: 30s, max_upload_bytes: 4096, max_answer_bytes: 8192, upload_budget_bytes: 65536 }"))
        #expect(rendered.contains("attempt_timeout: 45s") && rendered.contains("attempt_timeout: 5s"))
        #expect(try ConfigLoader.parse(yaml: rendered, file: "again.yaml").gateway == set.gateway, "check-config's output reads back the same")
    }

    @Test(arguments: [
        ("gateway: { max_attemps: 2 }", 1, 12, "unknown key 'max_attemps' in gateway (known keys: enabled, max_answer_bytes, max_attempts, max_concurrent, max_upload_bytes, request_deadline, upload_budget_bytes)"),
        ("gateway: { upload_budget_bytes: 0 }", 1, 33, "gateway.upload_budget_bytes must be greater than 0"),
        ("gateway: { max_upload_bytes: 0 }", 1, 30, "gateway.max_upload_bytes must be greater than 0"),
        ("gateway: { max_attempts: 0 }", 1, 26, "gateway.max_attempts must be greater than 0"),
        ("gateway: { enabled: yes }", 1, 21, "gateway.enabled must be true or false"),
        ("gateway: { request_deadline: soon }", 1, 30, "gateway.request_deadline: 'soon' is not a duration (use e.g. 500ms, 15s, 2m, 1h)"),
    ])
    func badGatewaySettingsArePinnedToTheirPlace(yaml: String, line: Int, column: Int, message: String) {
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.parse(yaml: yaml + "\n" + Self.providers, file: "g.yaml") }
        #expect(error?.description == "g.yaml:\(line):\(column): \(message)")
    }
}

/// `hedge:` beside `attempt_timeout`: inherited from defaults to provider to model, `off`
/// at a lower level, rendered by `check-config`, errors at their file:line:column.
struct HedgeConfigTests {
    static let yaml = oneProvider(probe: "{ hedge: { after: p95, max_extra: 5% } }",
                                  models: "[{ name: a }, { name: b, probe: { hedge: { after: 800ms, max_extra: 0.1 } } }, { name: c, probe: { hedge: off } }]")

    @Test func hedgingIsOffByDefaultAndInheritedWhereSet() throws {
        let config = try ConfigLoader.parse(yaml: Self.yaml, file: "h.yaml")
        #expect(config.probe.hedge == nil, "off by default")
        let hedges = config.providers[0].models.map(\.probe.hedge)
        #expect(hedges == [HedgeSettings(trigger: .quantile(0.95), maxExtra: 0.05), HedgeSettings(trigger: .seconds(0.8), maxExtra: 0.1), nil])
        let rendered = ConfigRenderer.render(config)
        #expect(rendered.contains("hedge: { after: p95, max_extra: 5% }") && rendered.contains("hedge: { after: 800ms, max_extra: 10% }") && rendered.contains("hedge: off"))
        let again = try ConfigLoader.parse(yaml: rendered, file: "again.yaml")
        #expect(again.providers[0].models.map(\.probe.hedge) == hedges, "check-config's output reads back the same")
    }

    @Test(arguments: [
        ("{ after: p95, max_extra: 150% }", 5, 46, "providers[0].probe.hedge.max_extra: '150%' is not a share of extra requests above 0 and at most 100% (e.g. 5%)"),
        ("{ after: p95, max_extra: 0% }", 5, 46, "providers[0].probe.hedge.max_extra: '0%' is not a share of extra requests above 0 and at most 100% (e.g. 5%)"),
        ("{ after: p97, max_extra: 5% }", 5, 30, "providers[0].probe.hedge.after: 'p97' is neither a quantile (p50, p90, p95, p99) nor a duration (e.g. 800ms)"),
        ("{ after: p95 }", 5, 21, "providers[0].probe.hedge is missing required key 'max_extra'"),
        ("{ after: p95, max_extra: 5%, delay: 1s }", 5, 50, "unknown key 'delay' in providers[0].probe.hedge (known keys: after, max_extra)"),
        ("on", 5, 21, "providers[0].probe.hedge must be { after: p95, max_extra: 5% } or off"),
    ])
    func badHedgeSettingsArePinnedToTheirPlace(hedge: String, line: Int, column: Int, message: String) {
        let yaml = Self.yaml.replacingOccurrences(of: "{ hedge: { after: p95, max_extra: 5% } }", with: "{ hedge: \(hedge) }")
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.parse(yaml: yaml, file: "h.yaml") }
        #expect(error?.description == "h.yaml:\(line):\(column): \(message)")
    }
}
