import SwitchyardConfig
import SwitchyardCore

/// What one catalog refresh changed among the targets a provider discovered: one line per
/// target added, removed or changed (upstream, price, status, capabilities), for the events log.
struct DiscoveryChanges {
    var messages: [String] = []
    /// The targets the provider's catalog yields now.
    var targets = 0
    var added = 0, removed = 0, changed = 0

    var summary: String { "\(added) discovered targets added, \(removed) removed, \(changed) changed, \(targets) in all" }

    static func between(_ old: Configuration, _ new: Configuration, provider: ProviderID) -> DiscoveryChanges {
        let before = old.discoveredModels(by: provider)
        let after = new.discoveredModels(by: provider)
        var changes = DiscoveryChanges()
        changes.targets = after.count
        for (target, model) in after.sorted(by: { $0.key.description < $1.key.description }) {
            guard let previous = before[target] else {
                changes.added += 1
                changes.messages.append("\(target) added (upstream \(model.upstream)\(describe(model)))")
                continue
            }
            let differences = differences(previous, model)
            guard !differences.isEmpty else { continue }
            changes.changed += 1
            changes.messages.append("\(target) changed: \(differences.joined(separator: ", "))")
        }
        for target in before.keys.sorted(by: { $0.description < $1.description }) where after[target] == nil {
            changes.removed += 1
            changes.messages.append("\(target) removed (no longer in the catalog, or filtered out)")
        }
        return changes
    }

    private static func describe(_ model: ModelSettings) -> String {
        var parts: [String] = []
        if let price = model.price { parts.append("price \(priceText(price))") }
        if let status = model.published?.status { parts.append("status \(status.rawValue)") }
        return parts.isEmpty ? "" : ", " + parts.joined(separator: ", ")
    }

    private static func differences(_ old: ModelSettings, _ new: ModelSettings) -> [String] {
        var lines: [String] = []
        if old.upstream != new.upstream { lines.append("upstream \(old.upstream) → \(new.upstream)") }
        if old.price != new.price { lines.append("price \(old.price.map(priceText) ?? "none") → \(new.price.map(priceText) ?? "none")") }
        if old.published?.status != new.published?.status {
            lines.append("status \(old.published?.status?.rawValue ?? "none") → \(new.published?.status?.rawValue ?? "none")")
        }
        if old.capabilities != new.capabilities { lines.append("capabilities changed") }
        // The latest first-token latency and throughput move a little with every catalog: announced
        // only past the noise threshold (`PublishedFigureNoise`); smaller moves are applied silently.
        if let line = PublishedFigureNoise.firstTokenLatency.change(old.published?.firstTokenLatencyMs, new.published?.firstTokenLatencyMs) {
            lines.append("first-token latency \(line) ms")
        }
        if let line = PublishedFigureNoise.throughput.change(old.published?.tokensPerSecond, new.published?.tokensPerSecond) {
            lines.append("throughput \(line) tokens/s")
        }
        return lines
    }

    private static func priceText(_ price: Price) -> String {
        "in \(price.inputPerMTok.map { "\($0)" } ?? "?") / out \(price.outputPerMTok.map { "\($0)" } ?? "?") USD per Mtok"
    }
}

/// When a catalog's published first-token latency or throughput moved enough to be an event.
/// The router republishes its latest measurements on every read, and they wander by some percent
/// from one read to the next; a move of at least 25 % (and at least an absolute floor, so
/// 20 → 26 ms is not news) is about what changes a target's rank against its peers, and is
/// recorded. A figure appearing or vanishing is always recorded.
struct PublishedFigureNoise {
    /// The least relative move recorded (0.25: 25 %).
    var relative: Double
    /// The least absolute move recorded, in the figure's unit.
    var absolute: Double

    static let firstTokenLatency = PublishedFigureNoise(relative: 0.25, absolute: 50)
    static let throughput = PublishedFigureNoise(relative: 0.25, absolute: 5)

    /// "OLD → NEW" when the move from `old` to `new` is past the threshold; nil when it is noise.
    func change(_ old: Double?, _ new: Double?) -> String? {
        switch (old, new) {
        case (nil, nil): return nil
        case let (old?, new?):
            let move = abs(new - old)
            guard move >= absolute, move >= relative * abs(old) else { return nil }
            return "\(Self.text(old)) → \(Self.text(new))"
        default:
            return "\(old.map(Self.text) ?? "none") → \(new.map(Self.text) ?? "none")"
        }
    }

    private static func text(_ value: Double) -> String {
        let tenths = (value * 10).rounded() / 10
        return tenths.rounded() == tenths ? "\(Int(tenths))" : "\(tenths)"
    }
}
