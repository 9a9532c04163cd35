import HTTPTypes

/// Every route the API serves, as data: the router registers exactly these, the 405
/// answer looks up which methods a path has, and a test compares them with the OpenAPI file.
public enum APIEndpoint: String, CaseIterable, Sendable {
    case statusPage
    case healthz, readyz, route, providers, provider, reports, history, events, metrics, openapi
    case drain, undrain, reload
    /// The fleet view (`fleet:`).
    case fleet
    /// The OpenAI-compatible gateway.
    case chatCompletions, completions, embeddings, models, model
    /// `/v1/models/org/name`: a Hub id with its `/` unescaped, as curl users type it (`{model}` is
    /// then the part before the `/`: the router takes one parameter name per position).
    case namespacedModel
    case imagesGenerations, audioTranscriptions, audioSpeech

    /// The HTTP method it answers.
    public var method: HTTPRequest.Method {
        switch self {
        case .reports, .drain, .undrain, .reload, .chatCompletions, .completions, .embeddings,
             .imagesGenerations, .audioTranscriptions, .audioSpeech: .post
        default: .get
        }
    }

    /// The path as OpenAPI (and Hummingbird) write it, with `{name}` for a path parameter.
    public var path: String {
        switch self {
        case .statusPage: "/"
        case .healthz: "/healthz"
        case .readyz: "/readyz"
        case .route: "/v1/route"
        case .providers: "/v1/providers"
        case .provider: "/v1/providers/{name}"
        case .reports: "/v1/reports"
        case .history: "/v1/history"
        case .events: "/v1/events"
        case .fleet: "/v1/fleet"
        case .metrics: "/metrics"
        case .openapi: "/openapi.json"
        case .drain: "/v1/admin/providers/{name}/drain"
        case .undrain: "/v1/admin/providers/{name}/undrain"
        case .reload: "/v1/admin/reload"
        case .chatCompletions: "/v1/chat/completions"
        case .completions: "/v1/completions"
        case .embeddings: "/v1/embeddings"
        case .models: "/v1/models"
        case .model: "/v1/models/{model}"
        case .namespacedModel: "/v1/models/{model}/{name}"
        case .imagesGenerations: "/v1/images/generations"
        case .audioTranscriptions: "/v1/audio/transcriptions"
        case .audioSpeech: "/v1/audio/speech"
        }
    }

    /// The gateway endpoint this route forwards to, if it is one.
    var gatewayEndpoint: GatewayEndpoint? {
        switch self {
        case .chatCompletions: .chatCompletions
        case .completions: .completions
        case .embeddings: .embeddings
        case .imagesGenerations: .imagesGenerations
        case .audioTranscriptions: .audioTranscriptions
        case .audioSpeech: .audioSpeech
        default: nil
        }
    }

    /// Whether the route is the gateway's: its errors take the OpenAI shape the SDKs read.
    var isGateway: Bool { gatewayEndpoint != nil || [.models, .model, .namespacedModel].contains(self) }

    /// Whether the route has query options (each checks its own); the others take none.
    var takesQuery: Bool { [.route, .history, .events, .drain, .undrain].contains(self) }

    /// Whether the route is a heavy read (`HeavyReads`): it runs off the cooperative pool, a few at a time.
    var isHeavyRead: Bool { [.statusPage, .history, .metrics].contains(self) }

    /// The methods served at a concrete request path (empty when no route has that path).
    public static func methods(servingPath requestPath: String) -> [HTTPRequest.Method] {
        let given = requestPath.split(separator: "/", omittingEmptySubsequences: false)
        return allCases.filter { endpoint in
            let pattern = endpoint.path.split(separator: "/", omittingEmptySubsequences: false)
            guard pattern.count == given.count else { return false }
            return zip(pattern, given).allSatisfy { part, actual in
                (part.hasPrefix("{") && !actual.isEmpty) || part == actual
            }
        }.map(\.method)
    }
}
