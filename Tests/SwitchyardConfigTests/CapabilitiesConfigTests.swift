import SwitchyardConfig
import SwitchyardCore
import Testing

/// `capabilities:` on a provider and a model: the model's fields override the provider's,
/// `check-config` prints them and reads them back, and bad values are pinned to file:line:column.
struct CapabilitiesConfigTests {
    static let yaml = """
        providers:
          - name: p
            kind: openai
            base_url: https://api.example.com/v1
            capabilities: { context_length: 32768, tools: true, input_modalities: [text] }
            models:
              - name: a
              - name: b
                capabilities: { tools: false, structured_output: true, input_modalities: [text, image] }
          - name: q
            kind: openai
            base_url: https://api.example.com/v1
            models: [{ name: a }]
        """

    @Test func modelFieldsOverrideTheProvidersAndCheckConfigPrintsThem() throws {
        let config = try ConfigLoader.parse(yaml: Self.yaml, file: "c.yaml")
        let models = config.providers[0].models
        #expect(models[0].capabilities == Capabilities(contextLength: 32768, tools: true, inputModalities: [.text]))
        #expect(models[1].capabilities == Capabilities(contextLength: 32768, tools: false, structuredOutput: true, inputModalities: [.text, .image]))
        #expect(config.providers[1].models[0].capabilities == .unknown, "nothing said is unknown, not false")
        #expect(config.targetDescriptors.map(\.capabilities) == [models[0].capabilities, models[1].capabilities, .unknown])
        let rendered = ConfigRenderer.render(config)
        #expect(rendered.contains("    capabilities: { context_length: 32768, tools: true, input_modalities: [text] }"))
        #expect(rendered.contains("        capabilities: { context_length: 32768, tools: false, structured_output: true, input_modalities: [text, image] }"))
        let again = try ConfigLoader.parse(yaml: rendered, file: "again.yaml")
        #expect(again.targetDescriptors.map(\.capabilities) == config.targetDescriptors.map(\.capabilities), "check-config's output reads back the same")
    }

    @Test(arguments: [
        ("{ context_length: 0 }", 5, 37, "providers[0].capabilities.context_length must be greater than 0"),
        ("{ context_length: 32k }", 5, 37, "providers[0].capabilities.context_length must be a whole number"),
        ("{ tools: maybe }", 5, 28, "providers[0].capabilities.tools must be true or false"),
        ("{ input_modalities: [text, smell] }", 5, 46, "providers[0].capabilities.input_modalities[1]: 'smell' is not one of text, image, audio, video"),
        ("{ output_modalities: [] }", 5, 40, "providers[0].capabilities.output_modalities must list at least one of text, image, audio, video"),
        ("{ context_window: 8192 }", 5, 21, "unknown key 'context_window' in providers[0].capabilities (known keys: context_length, input_modalities, output_modalities, structured_output, tools)"),
    ])
    func badCapabilitiesArePinnedToTheirPlace(capabilities: String, line: Int, column: Int, message: String) {
        let yaml = Self.yaml.replacingOccurrences(of: "{ context_length: 32768, tools: true, input_modalities: [text] }", with: capabilities)
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.parse(yaml: yaml, file: "c.yaml") }
        #expect(error?.description == "c.yaml:\(line):\(column): \(message)")
    }

    @Test func aModelsBadValueIsPinnedToItsLine() {
        let yaml = Self.yaml.replacingOccurrences(of: "structured_output: true", with: "structured_output: 1")
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.parse(yaml: yaml, file: "c.yaml") }
        #expect(error?.description == "c.yaml:9:58: providers[0].models[1].capabilities.structured_output must be true or false")
    }
}
