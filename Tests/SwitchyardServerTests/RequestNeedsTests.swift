@testable import SwitchyardServer
import SwitchyardCore
import Testing

/// The gateway derives what a request needs from its body bytes: tools, structured output,
/// vision and a context estimate (prompt JSON bytes / 4, inline images left out, plus max_tokens).
@Suite struct RequestNeedsTests {
    static func needs(_ body: String, _ endpoint: GatewayEndpoint = .chatCompletions) throws -> CapabilityNeeds {
        RequestNeeds.of(try #require(JSONBody(Array(body.utf8))), endpoint: endpoint)
    }

    @Test(arguments: [
        (#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#, CapabilityNeeds(minContext: 8)),
        (#"{"model":"m","messages":[],"tools":[{"type":"function"}],"max_tokens":100}"#, CapabilityNeeds(tools: true, minContext: 101)),
        (#"{"model":"m","messages":[],"tools":[ ],"tool_choice":"none"}"#, CapabilityNeeds(minContext: 1)),
        (#"{"model":"m","messages":[],"tool_choice":null}"#, CapabilityNeeds(minContext: 1)),
        (#"{"model":"m","messages":[],"tool_choice":{"type":"function","function":{"name":"f"}}}"#, CapabilityNeeds(tools: true, minContext: 1)),
        (#"{"model":"m","messages":[],"functions":[{"name":"f"}]}"#, CapabilityNeeds(tools: true, minContext: 1)),
        (#"{"model":"m","prompt":"abcdefgh","response_format":{"type":"json_object"},"max_completion_tokens":2}"#, CapabilityNeeds(structuredOutput: true, minContext: 5)),
        (#"{"model":"m","messages":[],"response_format":{ "type" : "json_schema", "json_schema":{}}}"#, CapabilityNeeds(structuredOutput: true, minContext: 1)),
        (#"{"model":"m","messages":[],"response_format":{"type":"text"}}"#, CapabilityNeeds(minContext: 1)),
        (#"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}]}]}"#,
         CapabilityNeeds(vision: true, minContext: 18)),
        (#"{"model":"m","messages":[{"role":"user","content":"what does \"image_url\" mean? image_url"}]}"#, CapabilityNeeds(minContext: 18)),
    ])
    func needsComeFromTheBody(body: String, expected: CapabilityNeeds) throws {
        #expect(try Self.needs(body) == expected)
    }

    @Test func embeddingsNeedNothing() throws {
        #expect(try Self.needs(#"{"model":"m","input":"hi","tools":[1]}"#, .embeddings) == .none)
    }

    @Test func aLongPromptIsAboutAQuarterOfItsBytes() throws {
        let text = String(repeating: "word ", count: 160_000)
        let needs = try Self.needs(#"{"model":"m","max_tokens":100,"messages":[{"role":"user","content":"\#(text)"}]}"#)
        #expect(needs.minContext == (800_000 + 30 + 3) / 4 + 100)
    }

    /// A caller's largest `max_tokens` used to overflow the estimate and stop the daemon.
    @Test func aLimitOfIntMaxIsATrillionTokensNotAnOverflow() throws {
        let needs = try Self.needs(#"{"model":"m","max_tokens":9223372036854775807,"messages":[{"role":"user","content":"hi"}]}"#)
        #expect(needs.minContext == 8 + (1 << 40))
        #expect(try Self.needs(#"{"model":"m","max_tokens":-9223372036854775808,"messages":[]}"#).minContext == 1)
    }

    @Test func onlyToolsAndStructuredOutputCanBeRefusedByA400() {
        #expect(RequestNeeds.asked(CapabilityNeeds(tools: true, structuredOutput: true, vision: true, minContext: 9)) == [.tools, .structuredOutput])
        #expect(RequestNeeds.asked(CapabilityNeeds(vision: true)).isEmpty)
    }
}
