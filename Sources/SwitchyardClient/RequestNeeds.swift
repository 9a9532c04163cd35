import Foundation
import SwitchyardCore

extension CapabilityNeeds {
    /// What an OpenAI-style chat or completion request body needs of a provider, by the gateway's
    /// rules: `tools` (non-empty), `functions` or a `tool_choice` other than "none" → tools;
    /// `response_format` of type `json_schema` / `json_object` → structured output; an `image_url`
    /// content part → vision; the prompt's JSON bytes / 4 (inline `data:` URLs left out) plus
    /// `max_completion_tokens` / `max_tokens` → min context. Nil when the body is not a JSON object.
    public init?(requestBody: Data) {
        guard let object = try? JSONSerialization.jsonObject(with: requestBody) as? [String: Any] else { return nil }
        self.init()
        let nonEmpty = { (value: Any?) in (value as? [Any]).map { !$0.isEmpty } ?? false }
        if nonEmpty(object["tools"]) || nonEmpty(object["functions"]) { tools = true }
        if let choice = object["tool_choice"], !(choice is NSNull), (choice as? String) != "none" { tools = true }
        if let format = object["response_format"] as? [String: Any], let type = format["type"] as? String,
           type == "json_schema" || type == "json_object" {
            structuredOutput = true
        }
        var promptBytes = 0
        if let prompt = object["messages"] ?? object["prompt"],
           let data = try? JSONSerialization.data(withJSONObject: prompt, options: [.fragmentsAllowed, .withoutEscapingSlashes]) {
            let text = String(decoding: data, as: UTF8.self)
            let inline = text.matches(of: /"data:(?:[^"\\]|\\.)*"/).reduce(0) { $0 + $1.output.utf8.count }
            promptBytes = data.count - inline
            vision = Self.hasImagePart(prompt)
        }
        let answer = (object["max_completion_tokens"] as? Int) ?? (object["max_tokens"] as? Int) ?? 0
        let tokens = (promptBytes + 3) / 4 + max(answer, 0)
        if tokens > 0 { minContext = tokens }
    }

    private static func hasImagePart(_ messages: Any) -> Bool {
        guard let messages = messages as? [[String: Any]] else { return false }
        return messages.contains { message in
            (message["content"] as? [[String: Any]])?.contains { ($0["type"] as? String) == "image_url" || $0["image_url"] != nil } ?? false
        }
    }

    /// The `/v1/route` query parameters for these needs (`&needs=…&min_context=N`), empty when none.
    var queryText: String {
        var text = tokens.isEmpty ? "" : "&needs=" + tokens.joined(separator: ",")
        if let minContext { text += "&min_context=\(minContext)" }
        return text
    }
}

/// Every candidate of the route was left out because none can serve what the request needs;
/// nothing was tried.
public struct NoCapableProvider: Error, Sendable, CustomStringConvertible {
    public var model: String
    /// Each provider left out, and why (`no tool calling`, `context 32768 < 200000 needed`).
    public var excluded: [(provider: String, reason: String)]

    public var description: String {
        "no provider of \(model) can serve this request: " + excluded.map { "\($0.provider): \($0.reason)" }.joined(separator: "; ")
    }
}
