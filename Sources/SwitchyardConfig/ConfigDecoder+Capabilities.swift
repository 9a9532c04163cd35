import SwitchyardCore

extension ConfigDecoder {
    /// `capabilities: { context_length, tools, structured_output, input_modalities, output_modalities }`
    /// on a provider or a model; an absent key stays unknown.
    func decodeCapabilities(_ cursor: YAMLCursor) throws -> Capabilities {
        let map = try cursor.mapping(allowedKeys: ["context_length", "tools", "structured_output", "input_modalities", "output_modalities"])
        var capabilities = Capabilities()
        if let c = map.optional("context_length") { capabilities.contextLength = try c.positiveInt() }
        if let c = map.optional("tools") { capabilities.tools = try c.bool() }
        if let c = map.optional("structured_output") { capabilities.structuredOutput = try c.bool() }
        if let c = map.optional("input_modalities") { capabilities.inputModalities = try decodeModalities(c) }
        if let c = map.optional("output_modalities") { capabilities.outputModalities = try decodeModalities(c) }
        return capabilities
    }

    private func decodeModalities(_ cursor: YAMLCursor) throws -> Set<Modality> {
        let items = try cursor.sequence()
        guard !items.isEmpty else {
            throw cursor.error("\(cursor.path) must list at least one of \(Modality.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return Set(try items.map { try decodeEnum($0, Modality.self) })
    }
}

extension ConfigRenderer {
    /// `capabilities: { … }` with the known fields, or nil when nothing is known.
    static func capabilitiesText(_ capabilities: Capabilities) -> String? {
        var parts: [String] = []
        if let length = capabilities.contextLength { parts.append("context_length: \(length)") }
        if let tools = capabilities.tools { parts.append("tools: \(tools)") }
        if let structured = capabilities.structuredOutput { parts.append("structured_output: \(structured)") }
        for (key, modalities) in [("input_modalities", capabilities.inputModalities), ("output_modalities", capabilities.outputModalities)] {
            guard let modalities else { continue }
            let names = Modality.allCases.filter(modalities.contains).map(\.rawValue)
            parts.append("\(key): [\(names.joined(separator: ", "))]")
        }
        return parts.isEmpty ? nil : "capabilities: { \(parts.joined(separator: ", ")) }"
    }
}
