extension Capabilities {
    /// One short line of what is known, for people (the status page, `switchyard providers`):
    /// "context 32768 · tools · no structured output · in: text, image"; "unknown" when nothing is.
    public var summary: String {
        var parts: [String] = []
        if let contextLength { parts.append("context \(contextLength)") }
        if let tools { parts.append(tools ? "tools" : "no tools") }
        if let structuredOutput { parts.append(structuredOutput ? "structured output" : "no structured output") }
        for (label, modalities) in [("in", inputModalities), ("out", outputModalities)] {
            guard let modalities else { continue }
            parts.append("\(label): " + Modality.allCases.filter(modalities.contains).map(\.rawValue).joined(separator: ", "))
        }
        return parts.isEmpty ? "unknown" : parts.joined(separator: " · ")
    }
}
