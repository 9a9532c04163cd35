import SwitchyardCore
import SwitchyardWire

extension Capabilities {
    /// A target's capabilities as `GET /v1/providers` answers them.
    public init(_ wire: Wire.Capabilities) {
        let modalities = { (list: [Wire.Modality]?) in list.map { Set($0.compactMap { Modality(rawValue: $0.rawValue) }) } }
        self.init(contextLength: wire.contextLength, tools: wire.tools, structuredOutput: wire.structuredOutput,
                  inputModalities: modalities(wire.inputModalities), outputModalities: modalities(wire.outputModalities))
    }
}
