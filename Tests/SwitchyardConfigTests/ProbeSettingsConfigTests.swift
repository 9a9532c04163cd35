import SwitchyardConfig
import SwitchyardCore
import Testing

/// The probe keys added for probing: stream idle timeout, body cap, per-provider cap, expected statuses.
@Suite struct ProbeSettingsConfigTests {
    @Test func probeKeysParseAndInherit() throws {
        let yaml = """
            probe: { stream_idle_timeout: 2s, max_concurrent: 3 }
            providers:
              - name: site
                kind: http
                base_url: http://127.0.0.1:9/health
                probe: { expected_status: [200, 204], max_body_bytes: 4096 }
                models: [{ name: m }]
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: "probe.yaml")
        let settings = config.providers[0].models[0].probe
        #expect(settings.streamIdleTimeoutSeconds == 2)
        #expect(settings.maxConcurrentPerProvider == 3)
        #expect(settings.expectedStatus == [200, 204])
        #expect(settings.maxBodyBytes == 4096)
        #expect(ProbeSettings().streamIdleTimeoutSeconds == 10)
        #expect(ProbeSettings().expectedStatus.isEmpty)
    }

    @Test func aBadExpectedStatusIsPinnedToItsLine() {
        let yaml = """
            providers:
              - name: site
                kind: http
                base_url: http://127.0.0.1:9/health
                probe: { expected_status: [200, nope] }
                models: [{ name: m }]
            """
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.parse(yaml: yaml, file: "probe.yaml") }
        #expect(error?.description.hasPrefix("probe.yaml:5:") == true, "\(error?.description ?? "")")
    }
}
