import SwitchyardConfig
import SwitchyardCore
import SwitchyardProbe

/// A catalog answer (router, OpenAI or Ollama dialect) → entries, or a clear failure. Every
/// entry read has a model id (at most 256 bytes, no control character), a partner only on the
/// router and one fit for a provider name, no negative or non-finite price, latency or throughput,
/// no context length below 1, and `discover:`'s selection keeps at most `max_targets` and counts every other distinct entry as cut.
enum CatalogHarness {
    static func run(_ body: [UInt8]) {
        for kind in [ProviderKind.hfRouter, .openai, .ollama] {
            guard let entries = try? CatalogParser.parse(body, kind: kind) else { continue }
            for entry in entries {
                require(!entry.model.isEmpty, "\(kind): an entry without a model id")
                require(entry.model.utf8.count <= 256, "\(kind): a model id of \(entry.model.utf8.count) bytes")
                require(!entry.model.unicodeScalars.contains { $0.properties.generalCategory == .control }, "\(kind): a control character in a model id")
                let figures = [entry.price?.inputPerMTok, entry.price?.outputPerMTok, entry.published?.firstTokenLatencyMs, entry.published?.tokensPerSecond]
                require(figures.allSatisfy { $0.map { $0.isFinite && $0 >= 0 } ?? true }, "\(kind): a negative or non-finite figure \(figures)")
                require(entry.capabilities.contextLength.map { $0 > 0 } ?? true, "\(kind): context length \(entry.capabilities.contextLength!)")
                if let partner = entry.partner {
                    require(kind == .hfRouter, "\(kind): a partner outside a router catalog")
                    require(!partner.isEmpty && partner.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) },
                            "\(kind): partner '\(partner)' cannot name a provider")
                }
            }
            var settings = DiscoverySettings()
            settings.maxTargets = 3
            let (kept, cut) = settings.select(entries)
            require(kept.count <= 3, "\(kind): kept \(kept.count) of at most 3")
            require(kept.count + cut == Set(entries.map(\.upstream)).count, "\(kind): kept \(kept.count) + cut \(cut) is not every distinct entry")
        }
    }
}
