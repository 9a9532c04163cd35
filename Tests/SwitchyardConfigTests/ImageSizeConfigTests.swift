import SwitchyardConfig
import Testing

/// `probe: { image_size: 512x512 }`: the size the text-to-image completion probe asks for,
/// inherited from provider to model, rendered by `check-config`, errors at file:line:column.
struct ImageSizeConfigTests {
    static func yaml(_ size: String) -> String {
        """
        providers:
          - name: p
            kind: openai
            base_url: https://api.example.com/v1
            task: text-to-image
            probe: { image_size: \(size) }
            models: [{ name: a }, { name: b, probe: { image_size: 1024x768 } }]
        """
    }

    @Test func theImageSizeIsInheritedAndRendered() throws {
        #expect(ProbeSettings().imageSize == "256x256", "the smallest common size by default")
        let config = try ConfigLoader.parse(yaml: Self.yaml("512x512"), file: "i.yaml")
        #expect(config.providers[0].models.map(\.probe.imageSize) == ["512x512", "1024x768"])
        let rendered = ConfigRenderer.render(config)
        #expect(rendered.contains("image_size: 512x512") && rendered.contains("image_size: 1024x768"))
        let again = try ConfigLoader.parse(yaml: rendered, file: "again.yaml")
        #expect(again.providers[0].models.map(\.probe.imageSize) == ["512x512", "1024x768"], "check-config's output reads back the same")
    }

    @Test(arguments: ["big", "512", "0x512", "512x", "x512", "512x512x2", "9000x512", "+512x512", "512 x 512"])
    func aSizeThatIsNotWidthByHeightIsPinnedToItsPlace(size: String) {
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.parse(yaml: Self.yaml("\"\(size)\""), file: "i.yaml") }
        #expect(error?.description == "i.yaml:6:26: providers[0].probe.image_size must be WIDTHxHEIGHT in pixels (each 1 to 8192), e.g. 512x512; got '\(size)'")
    }
}
