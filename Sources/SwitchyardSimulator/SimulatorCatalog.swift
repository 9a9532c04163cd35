import Foundation

/// A model catalog a simulator serves in the shapes of Hugging Face's router (`GET /v1/models`:
/// per model its `providers` with status, context length, pricing, tool and structured-output
/// support and the latest probe figures) and of the Hub's model info
/// (`GET /api/models/{id}?expand[]=inferenceProviderMapping`). Switchable at run time with
/// `PUT /_sim/catalog` (this value as JSON, or `?models=N&providers=M` for a generated one).
public struct SimulatorCatalog: Codable, Hashable, Sendable {
    /// One partner provider's offer of a model.
    public struct Offer: Codable, Hashable, Sendable {
        public var provider: String
        /// `live` or `error` (the router's); the Hub mapping says `live` or `staging`.
        public var status: String
        public var contextLength: Int?
        /// USD per million tokens.
        public var inputPrice: Double?
        public var outputPrice: Double?
        public var supportsTools: Bool?
        public var supportsStructuredOutput: Bool?
        public var firstTokenLatencyMs: Double?
        public var throughput: Double?

        public init(provider: String, status: String = "live", contextLength: Int? = nil, inputPrice: Double? = nil, outputPrice: Double? = nil,
                    supportsTools: Bool? = nil, supportsStructuredOutput: Bool? = nil, firstTokenLatencyMs: Double? = nil, throughput: Double? = nil) {
            self.provider = provider
            self.status = status
            self.contextLength = contextLength
            self.inputPrice = inputPrice
            self.outputPrice = outputPrice
            self.supportsTools = supportsTools
            self.supportsStructuredOutput = supportsStructuredOutput
            self.firstTokenLatencyMs = firstTokenLatencyMs
            self.throughput = throughput
        }
    }

    /// One Hub model and the providers serving it.
    public struct Model: Codable, Hashable, Sendable {
        public var id: String
        public var inputModalities: [String]
        public var outputModalities: [String]
        public var offers: [Offer]
        /// The Hub pipeline tag (`text-to-image`, `feature-extraction`, …); nil: a chat model.
        public var task: String?
        /// An embeddings model's fixed vector size, which it answers whatever size is asked; nil honours the request.
        public var dimensions: Int?

        public init(id: String, inputModalities: [String] = ["text"], outputModalities: [String] = ["text"], offers: [Offer],
                    task: String? = nil, dimensions: Int? = nil) {
            self.id = id
            self.inputModalities = inputModalities
            self.outputModalities = outputModalities
            self.offers = offers
            self.task = task
            self.dimensions = dimensions
        }
    }

    public var models: [Model]

    public init(models: [Model]) { self.models = models }

    /// Partner names the generator uses first (real router partners), then `partner-N`.
    static let partnerNames = ["cerebras", "fireworks-ai", "groq", "novita", "nebius", "together", "sambanova", "hyperbolic",
                               "featherless-ai", "nscale", "scaleway", "hf-inference"]

    /// The most offers `PUT /_sim/catalog?models=N&providers=M` generates.
    public static let maxGeneratedOffers = 10_000_000

    /// `models` × `providers` offers (both at least 0) with varied, deterministic prices, context lengths, capabilities and figures.
    public static func generated(models: Int, providers: Int) -> SimulatorCatalog {
        let partners = (0..<providers).map { $0 < partnerNames.count ? partnerNames[$0] : "partner-\($0)" }
        let contexts = [8192, 32768, 131_072, 262_144]
        return SimulatorCatalog(models: (0..<models).map { i in
            let offers = partners.enumerated().map { j, partner in
                let input = 0.1 + Double((i * 7 + j * 3) % 20) * 0.05
                return Offer(provider: partner, contextLength: contexts[(i + j) % contexts.count], inputPrice: input, outputPrice: input * 2,
                             supportsTools: (i + j) % 3 != 0, supportsStructuredOutput: (i + j) % 2 == 0,
                             firstTokenLatencyMs: Double(200 + (i * 13 + j * 29) % 800), throughput: Double(20 + (i * 7 + j * 11) % 150))
            }
            return Model(id: String(format: "sim-org-%d/Model-%04d-Instruct", i % 7, i),
                         inputModalities: i % 5 == 0 ? ["text", "image"] : ["text"], offers: offers)
        })
    }

    /// The router's `GET /v1/models` answer.
    func routerBody(ownedBy: String) -> [UInt8] {
        let list = RouterList(data: models.map { model in
            RouterModel(id: model.id, created: 1_776_837_885, ownedBy: model.id.split(separator: "/").first.map(String.init) ?? ownedBy,
                        architecture: .init(inputModalities: model.inputModalities, outputModalities: model.outputModalities),
                        providers: model.offers.map { offer in
                            RouterOffer(provider: offer.provider, status: offer.status, contextLength: offer.contextLength,
                                        pricing: offer.inputPrice.map { RouterOffer.Pricing(input: $0, output: offer.outputPrice ?? $0) },
                                        supportsTools: offer.supportsTools, supportsStructuredOutput: offer.supportsStructuredOutput,
                                        firstTokenLatencyMs: offer.firstTokenLatencyMs, throughput: offer.throughput, isModelAuthor: false,
                                        task: model.task)
                        })
        })
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .withoutEscapingSlashes
        return Array((try? encoder.encode(list)) ?? Data())
    }

    /// The Hub's `GET /api/models/{id}?expand[]=inferenceProviderMapping` answer, nil for an unknown model.
    func hubMappingBody(_ id: String) -> [UInt8]? {
        guard let model = models.first(where: { $0.id == id }) else { return nil }
        var mapping: [String: HubMapping] = [:]
        for offer in model.offers {
            mapping[offer.provider] = HubMapping(status: offer.status == "live" ? "live" : "staging", providerId: model.id,
                                                 task: model.task ?? "conversational", isModelAuthor: false)
        }
        let hash = String(id.utf8.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }, radix: 16)
        let info = HubModelInfo(_id: String(repeating: "0", count: max(0, 24 - hash.count)) + hash, id: model.id,
                                inferenceProviderMapping: mapping, pipelineTag: model.task ?? "text-generation")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(info)) ?? Data())
    }
}

private struct RouterList: Encodable {
    var object = "list"
    var data: [RouterModel]
}

private struct RouterModel: Encodable {
    struct Architecture: Encodable {
        var inputModalities: [String]
        var outputModalities: [String]
    }
    var id: String
    var object = "model"
    var created: Int
    var ownedBy: String
    var architecture: Architecture
    var providers: [RouterOffer]
}

private struct RouterOffer: Encodable {
    struct Pricing: Encodable {
        var input: Double
        var output: Double
    }
    var provider: String
    var status: String
    var contextLength: Int?
    var pricing: Pricing?
    var supportsTools: Bool?
    var supportsStructuredOutput: Bool?
    var firstTokenLatencyMs: Double?
    var throughput: Double?
    var isModelAuthor: Bool
    /// The task the partner serves the model for, as the Hub's mapping says (absent for chat models).
    var task: String?
}

private struct HubMapping: Encodable {
    var status: String
    var providerId: String
    var task: String
    var isModelAuthor: Bool
}

private struct HubModelInfo: Encodable {
    var _id: String
    var id: String
    var inferenceProviderMapping: [String: HubMapping]
    var pipelineTag: String

    enum CodingKeys: String, CodingKey {
        case _id, id, inferenceProviderMapping
        case pipelineTag = "pipeline_tag"
    }
}
