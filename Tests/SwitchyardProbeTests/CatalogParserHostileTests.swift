import Foundation
import SwitchyardCore
import SwitchyardProbe
import Testing

/// Catalog values no provider could mean are dropped; ids that cannot serve as labels skip their entry.
@Suite struct CatalogParserHostileTests {
    private func body(_ json: Any) throws -> [UInt8] { Array(try JSONSerialization.data(withJSONObject: json)) }

    @Test func negativePricesLatenciesThroughputsAndNonPositiveContextLengthsAreDropped() throws {
        let entries = try CatalogParser.router(body(["data": [
            ["id": "org/a", "providers": [["provider": "p", "context_length": 0, "pricing": ["input": -1.5, "output": 2.0],
                                           "first_token_latency_ms": -5, "throughput": -10]]],
            ["id": "org/b", "providers": [["provider": "p", "context_length": -4096, "pricing": ["input": -1, "output": -2],
                                           "first_token_latency_ms": 300, "throughput": 50]]],
        ]]))
        #expect(entries.count == 2, "the entries stay; only the figures go")
        #expect(entries[0].price == Price(inputPerMTok: nil, outputPerMTok: 2.0))
        #expect(entries[0].capabilities.contextLength == nil)
        #expect(entries[0].published?.firstTokenLatencyMs == nil && entries[0].published?.tokensPerSecond == nil)
        #expect(entries[1].price == nil)
        #expect(entries[1].capabilities.contextLength == nil)
        #expect(entries[1].published?.firstTokenLatencyMs == 300 && entries[1].published?.tokensPerSecond == 50)
        let vllm = try CatalogParser.openAI(body(["data": [["id": "m", "max_model_len": 0], ["id": "n", "max_model_len": 8192]]]))
        #expect(vllm.map(\.capabilities.contextLength) == [nil, 8192])
    }

    @Test func idsTooLongOrWithControlCharactersSkipTheirEntry() throws {
        let longest = "o/" + String(repeating: "x", count: CatalogParser.maxIDBytes - 2)
        let ids = ["tab\tname", "line\nbreak", "del\u{7F}", "nul\u{0}", longest + "x", longest, "ünïcode/ok"]
        let router = try CatalogParser.router(body(["data": ids.map { ["id": $0, "providers": [["provider": "p"]]] }]))
        #expect(router.map(\.model) == [longest, "ünïcode/ok"])
        let openAI = try CatalogParser.openAI(body(["data": ids.map { ["id": $0] }]))
        #expect(openAI.map(\.model) == [longest, "ünïcode/ok"])
        let ollama = try CatalogParser.ollama(body(["models": ids.map { ["name": $0] }]))
        #expect(ollama.map(\.model) == [longest, "ünïcode/ok"])
        // Counted in UTF-8 bytes: 128 two-byte characters are 256 bytes, 129 are too many.
        #expect(CatalogParser.isUsableID(String(repeating: "é", count: 128)))
        #expect(!CatalogParser.isUsableID(String(repeating: "é", count: 129)))
    }
}
