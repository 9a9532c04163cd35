import Foundation
import SwitchyardConfig
import SwitchyardCore

/// Turns a provider's catalog answer into entries: Hugging Face router's `/v1/models` (per model,
/// its `providers` with status, context length, pricing, tool and structured-output support and
/// the latest probe figures), an OpenAI-style `/v1/models` list, or Ollama's `/api/tags`.
/// A body that is not the expected JSON is an error; one malformed entry is skipped, not fatal.
/// Ids become metric labels, events and database rows: one longer than `maxIDBytes` or holding a
/// control character is skipped. A figure no provider could mean (a negative price, latency or
/// throughput, a context length below 1, anything not finite) is dropped, the entry kept.
public enum CatalogParser {
    /// The longest model id kept, in UTF-8 bytes.
    public static let maxIDBytes = 256

    /// Why a body is not a catalog; the message names what was expected.
    public struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The entries of `body`, read in the dialect of `kind`.
    public static func parse(_ body: [UInt8], kind: ProviderKind) throws -> [CatalogEntry] {
        switch kind {
        case .hfRouter: return try router(body)
        case .ollama: return try ollama(body)
        default: return try openAI(body)
        }
    }

    /// Hugging Face router's `/v1/models`: one entry per (model, provider) pair.
    public static func router(_ body: [UInt8]) throws -> [CatalogEntry] {
        let list = try decode(RouterList.self, body, expected: "Hugging Face router's model list ({\"data\": [{\"id\", \"providers\": […]}]})")
        return list.data.flatMap { item -> [CatalogEntry] in
            guard let model = item.value, isUsableID(model.id) else { return [] }
            let input = model.architecture?.inputModalities.map(modalities)
            let output = model.architecture?.outputModalities.map(modalities)
            return (model.providers ?? []).compactMap { slot -> CatalogEntry? in
                guard let offer = slot.value, !offer.provider.isEmpty, offer.provider.allSatisfy(isNameCharacter) else { return nil }
                let price = offer.pricing.flatMap { pricing -> Price? in
                    let input = within(pricing.input, 0...Self.maxPricePerMTok), output = within(pricing.output, 0...Self.maxPricePerMTok)
                    return input == nil && output == nil ? nil : Price(inputPerMTok: input, outputPerMTok: output)
                }
                let capabilities = Capabilities(contextLength: positive(offer.contextLength), tools: offer.supportsTools,
                                                structuredOutput: offer.supportsStructuredOutput, inputModalities: input, outputModalities: output)
                let figures = PublishedFigures(firstTokenLatencyMs: within(offer.firstTokenLatencyMs, 0...Self.maxLatencyMs),
                                               tokensPerSecond: within(offer.throughput, Self.throughputRange),
                                               status: offer.status.flatMap(CatalogStatus.init(rawValue:)))
                return CatalogEntry(model: model.id, partner: offer.provider, price: price, capabilities: capabilities, published: figures,
                                    hubTask: hubTask(offer.task ?? model.pipelineTag))
            }
        }
    }

    /// An OpenAI-style `/v1/models` (vLLM, TGI, any OpenAI-compatible server); vLLM's `max_model_len` is the context length.
    public static func openAI(_ body: [UInt8]) throws -> [CatalogEntry] {
        let list = try decode(OpenAIList.self, body, expected: "an OpenAI model list ({\"data\": [{\"id\": …}]})")
        return list.data.compactMap(\.value).filter { isUsableID($0.id) }.map {
            CatalogEntry(model: $0.id, capabilities: Capabilities(contextLength: positive($0.maxModelLen)))
        }
    }

    /// Ollama's `/api/tags`.
    public static func ollama(_ body: [UInt8]) throws -> [CatalogEntry] {
        let list = try decode(OllamaTags.self, body, expected: "Ollama's model list ({\"models\": [{\"name\": …}]})")
        return list.models.compactMap(\.value).compactMap { tag in
            (tag.name ?? tag.model).flatMap { isUsableID($0) ? CatalogEntry(model: $0) : nil }
        }
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8], expected: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(T.self, from: Data(body))
        } catch {
            let what = body.isEmpty ? "an empty body" : (try? JSONSerialization.jsonObject(with: Data(body))) == nil ? "not JSON (or cut short)" : "JSON of another shape"
            throw Failure(description: "the answer (\(body.count) bytes) is \(what), not \(expected)")
        }
    }

    /// Whether a model id may become a target: not empty, at most `maxIDBytes`, no control character.
    public static func isUsableID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= maxIDBytes && !id.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    /// A catalog's task tag as kept: a long or odd one stands for a task Switchyard does not route.
    private static func hubTask(_ tag: String?) -> String? {
        guard let tag else { return nil }
        return tag.count <= 64 && tag.allSatisfy(isNameCharacter) ? tag : "unsupported"
    }

    /// Figures past these are a catalog's garbage, dropped like a negative one: a first token
    /// after more than a day, a speed outside 0.001–10^7 tokens/s, a price over $10^6 per million tokens.
    static let maxLatencyMs = 86_400_000.0
    static let throughputRange = 0.001...1e7
    static let maxPricePerMTok = 1e6

    private static func within(_ value: Double?, _ range: ClosedRange<Double>) -> Double? { value.flatMap { range.contains($0) ? $0 : nil } }
    private static func positive(_ value: Int?) -> Int? { value.flatMap { $0 > 0 ? $0 : nil } }

    private static func modalities(_ names: [String]) -> Set<Modality> { Set(names.compactMap(Modality.init(rawValue:))) }

    /// Partner names become part of provider names: letters, digits, '-', '_' and '.' only.
    private static func isNameCharacter(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber || "-_.".contains(c)) }
}

/// An element that may fail to decode without failing its array.
struct LenientElement<T: Decodable>: Decodable {
    var value: T?
    init(from decoder: any Decoder) throws { value = try? T(from: decoder) }
}

private struct RouterList: Decodable {
    struct Model: Decodable {
        struct Architecture: Decodable {
            var inputModalities: [String]?
            var outputModalities: [String]?
        }
        var id: String
        var architecture: Architecture?
        var providers: [LenientElement<Offer>]?
        /// The Hub's pipeline tag of the model, when the catalog gives one.
        var pipelineTag: String?
    }
    struct Offer: Decodable {
        struct Pricing: Decodable {
            var input: Double?
            var output: Double?
        }
        var provider: String
        var status: String?
        var contextLength: Int?
        var pricing: Pricing?
        var supportsTools: Bool?
        var supportsStructuredOutput: Bool?
        var firstTokenLatencyMs: Double?
        var throughput: Double?
        /// The task this partner serves the model for (the Hub's `inferenceProviderMapping[].task`).
        var task: String?
    }
    var data: [LenientElement<Model>]
}

private struct OpenAIList: Decodable {
    struct Model: Decodable {
        var id: String
        var maxModelLen: Int?
    }
    var data: [LenientElement<Model>]
}

private struct OllamaTags: Decodable {
    struct Tag: Decodable {
        var name: String?
        var model: String?
    }
    var models: [LenientElement<Tag>]
}
