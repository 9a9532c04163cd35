import Foundation
import GRDB
import SwitchyardCore

extension SQLiteStore {
    /// Keeps `catalog` (with where it was read) as `provider`'s last good catalog, replacing the one before.
    public func saveCatalog(_ catalog: DiscoveredCatalog, provider: ProviderID) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(catalog.entries.map(StoredCatalogEntry.init)), as: UTF8.self)
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO discovery_catalogs (provider, fetched_at, entries, base_url, kind) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (provider) DO UPDATE SET fetched_at = excluded.fetched_at, entries = excluded.entries,
                    base_url = excluded.base_url, kind = excluded.kind
                """, arguments: [provider.rawValue, catalog.fetchedAt.secondsSinceEpoch, text, catalog.source?.baseURL, catalog.source?.kind])
        }
    }

    /// Every provider's last good catalog. A row that cannot be read is left out (and named in `unreadable`).
    public func catalogs() throws -> (catalogs: [ProviderID: DiscoveredCatalog], unreadable: [ProviderID]) {
        try pool.read { db in
            var catalogs: [ProviderID: DiscoveredCatalog] = [:]
            var unreadable: [ProviderID] = []
            for row in try Row.fetchAll(db, sql: "SELECT provider, fetched_at, entries, base_url, kind FROM discovery_catalogs") {
                let provider = ProviderID(row["provider"] as String)
                let text: String = row["entries"]
                guard let stored = try? JSONDecoder().decode([StoredCatalogEntry].self, from: Data(text.utf8)) else {
                    unreadable.append(provider)
                    continue
                }
                let baseURL: String? = row["base_url"], kind: String? = row["kind"]
                let source = baseURL.flatMap { url in kind.map { CatalogSource(baseURL: url, kind: $0) } }
                catalogs[provider] = DiscoveredCatalog(entries: stored.map(\.entry), fetchedAt: Timestamp(secondsSinceEpoch: row["fetched_at"]), source: source)
            }
            return (catalogs, unreadable)
        }
    }
}

/// One catalog entry as the store writes it (its own field names, so the core types need not be Codable).
private struct StoredCatalogEntry: Codable {
    var model: String
    var partner: String?
    var input: Double?
    var output: Double?
    var context: Int?
    var tools: Bool?
    var structured: Bool?
    var inputModalities: [String]?
    var outputModalities: [String]?
    var ttftMs: Double?
    var tokensPerSecond: Double?
    var status: String?
    var task: String?

    init(_ entry: CatalogEntry) {
        task = entry.hubTask
        model = entry.model
        partner = entry.partner
        input = entry.price?.inputPerMTok
        output = entry.price?.outputPerMTok
        context = entry.capabilities.contextLength
        tools = entry.capabilities.tools
        structured = entry.capabilities.structuredOutput
        inputModalities = entry.capabilities.inputModalities.map { $0.map(\.rawValue).sorted() }
        outputModalities = entry.capabilities.outputModalities.map { $0.map(\.rawValue).sorted() }
        ttftMs = entry.published?.firstTokenLatencyMs
        tokensPerSecond = entry.published?.tokensPerSecond
        status = entry.published?.status?.rawValue
    }

    var entry: CatalogEntry {
        let price = input == nil && output == nil ? nil : Price(inputPerMTok: input, outputPerMTok: output)
        let capabilities = Capabilities(contextLength: context, tools: tools, structuredOutput: structured,
                                        inputModalities: inputModalities.map { Set($0.compactMap(Modality.init(rawValue:))) },
                                        outputModalities: outputModalities.map { Set($0.compactMap(Modality.init(rawValue:))) })
        let published = ttftMs == nil && tokensPerSecond == nil && status == nil ? nil
            : PublishedFigures(firstTokenLatencyMs: ttftMs, tokensPerSecond: tokensPerSecond, status: status.flatMap(CatalogStatus.init(rawValue:)))
        return CatalogEntry(model: model, partner: partner, price: price, capabilities: capabilities, published: published, hubTask: task)
    }
}
