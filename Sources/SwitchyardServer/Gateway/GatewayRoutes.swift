import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchyardConfig
import SwitchyardCore

/// The OpenAI-compatible routes: `/v1/models`, `/v1/models/{model}` and the forwarding table of `GatewayEndpoint`.
/// Errors are answered here, in the OpenAI shape, never thrown to the API's error middleware.
enum GatewayRoutes {
    static let disabled = OpenAIError(status: .notFound, type: "invalid_request_error", code: "gateway_disabled",
                                      message: "the gateway is disabled on this daemon (gateway.enabled: false)")

    /// Whether `path` is one of the gateway's routes (answered in the OpenAI error shape).
    static func isGatewayPath(_ path: String) -> Bool {
        path == "/v1/models" || path.hasPrefix("/v1/models/") || endpoint(atPath: path) != nil
    }

    /// The gateway endpoint served at `path` (`/v1/images/generations` ...), if any.
    static func endpoint(atPath path: String) -> GatewayEndpoint? {
        endpointsByPath[path]
    }

    private static let endpointsByPath = Dictionary(uniqueKeysWithValues: GatewayEndpoint.allCases.map { ("/v1" + $0.upstreamPath, $0) })

    /// The 413 for a request whose declared body is over `maxBytes` (`listen.max_body_bytes`), in
    /// the OpenAI shape; nil when it is within.
    static func declaredTooLarge(_ request: Request, maxBytes: Int) -> Response? {
        guard let text = request.headers[.contentLength], let length = Int(text), length > maxBytes else { return nil }
        return OpenAIError(status: .contentTooLarge, type: "invalid_request_error", code: "body_too_large",
                           message: "request bodies are limited to \(maxBytes) bytes (listen.max_body_bytes)").response(ServedBy())
    }

    /// `GET /v1/models`: every model the caller may use, with the providers behind it and their tasks.
    /// On TCP it needs a client's token as the forwarding routes do; a client with an allow list sees only those models.
    static func models(_ request: Request, _ context: APIRequestContext, _ deps: APIDependencies) async -> Response {
        guard let configuration = deps.gateway?.directory.current, configuration.settings.enabled else { return disabled.response(ServedBy()) }
        do throws(OpenAIError) {
            let caller = try await authenticate(request, context, deps)
            let visible = configuration.catalog.known.filter { configuration.allows(caller, $0) }
            return json(modelListBody(ModelList(data: visible.map { entry(id: $0.rawValue, model: $0, configuration.catalog) })))
        } catch {
            return error.response(ServedBy())
        }
    }

    /// `GET /v1/models/{model}` (the OpenAI SDKs' `models.retrieve`): one model, as in the list,
    /// under the id asked for. The id is percent-decoded (the SDKs send `org%2Fname`; a raw
    /// `org/name` comes as two segments, joined by the router) and read with the request grammar
    /// (an upstream id, a `:strategy` or `:provider` suffix). Callers as for `models`; a model
    /// outside a client's allow list gets the 403 a request for it would.
    static func model(_ text: String, _ request: Request, _ context: APIRequestContext, _ deps: APIDependencies) async -> Response {
        guard let configuration = deps.gateway?.directory.current, configuration.settings.enabled else { return disabled.response(ServedBy()) }
        let id = text.removingPercentEncoding ?? text
        do throws(OpenAIError) {
            let caller = try await authenticate(request, context, deps)
            guard let selection = configuration.catalog.resolve(id) else { throw unknownModel(id, configuration.catalog) }
            try configuration.requireAllowed(selection.model, for: caller)
            return json(modelListBody(entry(id: id, model: selection.model, configuration.catalog)))
        } catch {
            return error.response(ServedBy())
        }
    }

    /// Who is asking: the Unix peer, or on TCP the client whose bearer token came (401 in the OpenAI shape otherwise).
    static func authenticate(_ request: Request, _ context: APIRequestContext, _ deps: APIDependencies) async throws(OpenAIError) -> Caller {
        do {
            return try await deps.callerAuthenticator.caller(request, context)
        } catch let error as APIError {
            var refused = OpenAIError(status: error.status, type: "authentication_error", code: error.code, message: error.message)
            refused.wwwAuthenticate = error.status == .unauthorized ? "Bearer" : nil
            throw refused
        } catch {
            throw OpenAIError(status: .internalServerError, type: "server_error", code: "internal", message: "internal error")
        }
    }

    /// The 404 for a model name nothing resolves, listing the configured ones.
    static func unknownModel(_ text: String, _ catalog: ModelCatalog) -> OpenAIError {
        OpenAIError(status: .notFound, type: "invalid_request_error", code: "model_not_found",
                    message: "no model named '\(text)'; configured: \(catalog.known.map(\.rawValue).joined(separator: ", "))")
    }

    private static func entry(id: String, model: ModelName, _ catalog: ModelCatalog) -> ModelEntry {
        ModelEntry(id: id, providers: (catalog.providersByModel[model] ?? []).map(\.rawValue), tasks: (catalog.tasksByModel[model] ?? []).map(\.rawValue))
    }

    private static func json(_ bytes: Data) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        ServedBy().write(into: &headers)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The body of `/v1/models` (or of one of its entries), keys sorted, in OpenAI's snake_case.
    static func modelListBody(_ value: some Encodable) -> Data {
        (try? modelListEncoder.encode(value)) ?? Data()
    }

    /// Made once: OpenAI's snake_case keys (`owned_by`) come from the key strategy, not per-type `CodingKeys`.
    private static let modelListEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }()

    struct ModelEntry: Encodable {
        var id: String
        var object = "model"
        var created = 0
        var ownedBy = "switchyard"
        var providers: [String]
        /// Switchyard's extension: what the model's targets do (`chat`, `text-to-image` ...).
        var tasks: [String]

        init(id: String, providers: [String], tasks: [String]) {
            self.id = id
            self.providers = providers
            self.tasks = tasks
        }
    }

    struct ModelList: Encodable {
        var object = "list"
        var data: [ModelEntry]
    }

    /// Forwards one request: routes it, tries candidates as the `AttemptPolicy` says, and
    /// streams the chosen answer back.
    static func forward(_ endpoint: GatewayEndpoint, _ request: Request, _ context: APIRequestContext, _ deps: APIDependencies) async -> Response {
        guard let gateway = deps.gateway else { return disabled.response(ServedBy()) }
        let configuration = gateway.directory.current
        guard configuration.settings.enabled else { return disabled.response(ServedBy()) }
        // Who is asking: the Unix peer, or a client by its bearer token on TCP (401 otherwise).
        let caller: Caller
        do {
            caller = try await authenticate(request, context, deps)
        } catch {
            gateway.metrics.request(endpoint, .callerError)
            return error.response(ServedBy())
        }
        // A client over its rate or budget is refused here, before any provider is tried.
        if let refusal = gateway.limiter.admit(caller, limits: configuration.clientLimits[caller.label], now: deps.clock.now()) {
            gateway.metrics.request(endpoint, .clientLimited)
            return refusal.response(ServedBy())
        }
        guard let slot = gateway.inFlight.take(limit: configuration.settings.maxConcurrent) else {
            gateway.metrics.request(endpoint, .overloaded)
            return OpenAIError(status: .serviceUnavailable, type: "server_error", code: "overloaded",
                               message: "the gateway has \(configuration.settings.maxConcurrent) requests in flight (gateway.max_concurrent); retry shortly",
                               retryAfterSeconds: 1).response(ServedBy())
        }
        do {
            let uploads = UploadAllowance(hold: gateway.uploads.hold(), limit: configuration.settings.uploadBudgetBytes)
            let prepared = try await GatewayRequest.prepare(endpoint, request, caller: caller, deps, configuration, uploads: uploads)
            let forwarder = GatewayForwarder(endpoint: endpoint, request: prepared, caller: caller, deps: deps, gateway: gateway,
                                             configuration: configuration, slot: slot)
            // On the transport's executor (for plain-HTTP upstreams the event loop that read the request):
            // sending, waking on the head and reading a whole answer cost no hand-over between threads.
            return await withTaskExecutorPreference(gateway.transport.executor) {
                var forwarder = forwarder
                return await forwarder.run()
            }
        } catch {
            gateway.metrics.request(endpoint, error.code == "uploads_over_budget" ? .overloaded : .callerError)
            return error.response(ServedBy())
        }
    }
}

/// A gateway request after reading and checking its body: what to route and what to send.
struct GatewayRequest: Sendable {
    var body: GatewayBody
    var selection: ModelSelection
    var candidates: [RouteCandidate]
    var policy: AttemptPolicy
    var streaming: Bool
    /// Features the request uses that a target's 400 may say it lacks (learned, then failed over).
    var asked: Set<UnsupportedFeature>
    /// Whether the caller asked for the usage chunk itself (else the gateway drops it).
    var callerWantsUsage: Bool
    /// Raw `"key":value` text added to each upstream body (`stream_options`).
    var additions: [UInt8]
    /// What the answer must be (embeddings of the asked size), checked before it goes out.
    var expectation = AnswerExpectation()
    /// The upload's bytes in the gateway-wide budget, given back when the request is done with them.
    var uploadHold: UploadBudget.Hold?
    /// Whether a target demoted after routing moves behind the others before its attempt: when the
    /// route's order stands (no `provider.order` of the caller's, which wins over demotions).
    var followsDemotions = false
    /// Candidates the route had already demoted (placed as the route said; not moved again).
    var demotedAtRouting: Set<ProviderID> = []

    static func prepare(_ endpoint: GatewayEndpoint, _ request: Request, caller: Caller, _ deps: APIDependencies,
                        _ configuration: GatewayConfiguration, uploads: UploadAllowance? = nil) async throws(OpenAIError) -> GatewayRequest {
        let body = try await GatewayBody.read(endpoint, request, jsonLimit: deps.limits.maxBodyBytes, uploadLimit: configuration.settings.maxUploadBytes,
                                              uploads: uploads)
        guard let modelText = body.string("model"), !modelText.isEmpty else {
            throw .invalid("missing_model", "model: required, e.g. \"model\": \"\(configuration.catalog.known.first?.rawValue ?? "llama-3.1-8b")\"")
        }
        guard let selection = configuration.catalog.resolve(modelText) else { throw GatewayRoutes.unknownModel(modelText, configuration.catalog) }
        try configuration.requireAllowed(selection.model, for: caller)
        let json = body.json
        let preferences = try json?.member("provider").map { member throws(OpenAIError) in try ProviderPreferences.parse(json!.raw(member)) } ?? ProviderPreferences()
        let streaming = body.bool("stream") == true
        let needs = json.map { RequestNeeds.of($0, endpoint: endpoint) } ?? CapabilityNeeds()
        let route = try routeForTask(endpoint, selection: selection, strategy: selection.strategy ?? preferences.sort ?? .balanced, needs: needs,
                                     modelText: modelText, deps)
        // A pinned provider that cannot serve the request, or a model none of whose providers can:
        // the caller learns what is missing, and no provider is tried.
        if let pinned = selection.pinned, let exclusion = route.excluded.first(where: { $0.provider == pinned }) {
            throw Self.noCapableProvider(selection.model, needs: needs, excluded: [exclusion])
        }
        if route.candidates.isEmpty, !route.excluded.isEmpty {
            throw Self.noCapableProvider(selection.model, needs: needs, excluded: route.excluded)
        }
        var candidates = CandidatePlan.order(route.candidates, selection: selection, preferences: preferences) { provider in
            configuration.upstreams[Target(provider: provider, model: selection.model)]?.price
        }
        // Pinned: the caller chose this provider, so it is tried even when the router left it out (ejected, rate limited).
        if let pinned = selection.pinned, candidates.isEmpty, let descriptor = deps.healthBook.descriptor(of: Target(provider: pinned, model: selection.model)),
           endpoint.routeTasks.contains(descriptor.task) {
            candidates = [RouteCandidate(provider: pinned, upstreamModel: descriptor.upstreamModel, baseURL: descriptor.baseURL, score: 0,
                                         state: .unknown, successRate: 0, reasons: ["pinned by the request"])]
        }
        guard !candidates.isEmpty else {
            if !route.candidates.isEmpty {
                // The request's own `provider` preferences (or pin) left nobody: 404, as OpenRouter answers it; not an outage.
                let known = route.candidates.map(\.provider.rawValue).sorted().joined(separator: ", ")
                let unfit = route.excluded.isEmpty ? "" : "; left out for what the request needs: "
                    + route.excluded.map { "\($0.provider): \($0.reason)" }.joined(separator: "; ")
                throw OpenAIError(status: .notFound, type: "invalid_request_error", code: "no_provider_matches",
                                  message: "no provider of '\(selection.model)' is left after the request's provider preferences; its providers: \(known)\(unfit)")
            }
            throw OpenAIError(status: .serviceUnavailable, type: "server_error", code: "no_provider",
                              message: "no provider of '\(selection.model)' can be tried now", retryAfterSeconds: 1)
        }
        let policy = AttemptPolicy(candidateCount: candidates.count,
                                   maxAttempts: selection.pinned == nil ? configuration.settings.maxAttempts : 1,
                                   attemptTimeoutSeconds: endpoint.defaultAttemptTimeout(streaming: streaming))
        var callerWantsUsage = true
        var additions: [UInt8] = []
        if streaming, endpoint.generates, let json {
            if let options = json.member("stream_options") {
                let object = try? JSONSerialization.jsonObject(with: Data(json.raw(options))) as? [String: Any]
                callerWantsUsage = (object?["include_usage"] as? Bool) == true
            } else {
                callerWantsUsage = false
                additions = Array(#""stream_options":{"include_usage":true}"#.utf8)
            }
        }
        return GatewayRequest(body: body, selection: selection, candidates: candidates, policy: policy, streaming: streaming,
                              asked: RequestNeeds.asked(needs), callerWantsUsage: callerWantsUsage, additions: additions,
                              expectation: AnswerExpectation.of(body, endpoint: endpoint), uploadHold: uploads?.hold,
                              followsDemotions: preferences.order.isEmpty && candidates.count > 1,
                              demotedAtRouting: Set(candidates.filter { $0.reasons.contains(RouteRanker.demotionReason) }.map(\.provider)))
    }

    /// The model's route for the endpoint's task (`/v1/completions` takes the model's chat targets
    /// when it has no completion ones). A model without a target of the task: 404 naming the tasks it has.
    static func routeForTask(_ endpoint: GatewayEndpoint, selection: ModelSelection, strategy: RoutingStrategy, needs: CapabilityNeeds,
                             modelText: String, _ deps: APIDependencies) throws(OpenAIError) -> Route {
        var served: [InferenceTask] = []
        for task in endpoint.routeTasks {
            let query = RouteQuery(model: selection.model, strategy: strategy, needs: needs, task: task)
            switch deps.healthBook.route(query, now: deps.clock.now()) {
            case .route(let route): return route
            case .unservedTask(let tasks): served = tasks
            case .unknownModel: throw OpenAIError(status: .notFound, type: "invalid_request_error", code: "model_not_found", message: "no model named '\(modelText)'")
            }
        }
        throw OpenAIError(status: .notFound, type: "invalid_request_error", code: "unknown_task",
                          message: "model '\(selection.model)' has no \(endpoint.task.rawValue) target for \(endpoint.upstreamPath); its targets do: \(served.map(\.rawValue).joined(separator: ", "))")
    }

    /// 400 in the OpenAI shape: what the request needs and why each provider cannot serve it.
    static func noCapableProvider(_ model: ModelName, needs: CapabilityNeeds, excluded: [RouteExclusion]) -> OpenAIError {
        let shortContext = excluded.contains { $0.reason.contains("context ") }
        let needed = needs.tokens + (shortContext ? needs.minContext.map { ["a context of \($0) tokens"] } ?? [] : [])
        let why = excluded.map { "\($0.provider): \($0.reason)" }.joined(separator: "; ")
        return .invalid("no_capable_provider",
                        "no provider of '\(model)' can serve this request (it needs \(needed.joined(separator: ", "))): \(why)")
    }

    /// The body to send to `candidate`: its upstream model id, without our `provider` object.
    func upstreamBody(for candidate: RouteCandidate) -> [UInt8] {
        body.upstream(model: candidate.upstreamModel, additions: additions)
    }
}

