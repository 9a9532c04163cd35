import Foundation
import GRDB
@testable import SwitchyardStore
import SwitchyardCore
import Testing

/// The last good catalog of each discovering provider survives a reopen, and a damaged row is named, not fatal.
@Suite(.timeLimit(.minutes(2))) struct CatalogStoreTests {
    private static let full = CatalogEntry(
        model: "meta-llama/Llama-3.1-8B-Instruct", partner: "together", price: Price(inputPerMTok: 0.18, outputPerMTok: 0.59),
        capabilities: Capabilities(contextLength: 131_072, tools: true, structuredOutput: false, inputModalities: [.text, .image], outputModalities: [.text]),
        published: PublishedFigures(firstTokenLatencyMs: 412.5, tokensPerSecond: 88.25, status: .error))

    @Test func aCatalogIsKeptAcrossAReopenAndReplacedByTheNextOne() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/switchyard.db"
            let first = DiscoveredCatalog(entries: [Self.full, CatalogEntry(model: "llama3.1:8b")], fetchedAt: Timestamp(secondsSinceEpoch: 1_800_000_000),
                                          source: CatalogSource(baseURL: "https://router.huggingface.co/v1", kind: "hf-router"))
            do {
                let store = try SQLiteStore(path: path)
                try store.saveCatalog(first, provider: ProviderID("hf"))
                try store.saveCatalog(DiscoveredCatalog(entries: [], fetchedAt: Timestamp(secondsSinceEpoch: 1_800_000_001)), provider: ProviderID("ollama"))
            }
            let reopened = try SQLiteStore(path: path)
            let (catalogs, unreadable) = try reopened.catalogs()
            #expect(catalogs[ProviderID("hf")] == first, "every field read back as written")
            #expect(catalogs[ProviderID("ollama")]?.entries == [])
            #expect(catalogs[ProviderID("ollama")]?.source == nil, "a catalog saved without its source reads back without one")
            #expect(unreadable.isEmpty)

            let second = DiscoveredCatalog(entries: [CatalogEntry(model: "x/y", partner: "groq")], fetchedAt: Timestamp(secondsSinceEpoch: 1_800_000_600))
            try reopened.saveCatalog(second, provider: ProviderID("hf"))
            #expect(try reopened.catalogs().catalogs[ProviderID("hf")] == second)

            try await reopened.pool.write { db in try db.execute(sql: "UPDATE discovery_catalogs SET entries = '[{\"oops' WHERE provider = 'ollama'") }
            let damaged = try reopened.catalogs()
            #expect(damaged.unreadable == [ProviderID("ollama")] && damaged.catalogs.keys.map(\.rawValue) == ["hf"])
        }
    }
}
