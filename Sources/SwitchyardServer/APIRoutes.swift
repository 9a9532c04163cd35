import Hummingbird
import SwitchyardWire
import NIOCore
import SwitchyardConfig
import SwitchyardCore

/// What the HTTP handlers read. Passed in by the wiring; the handlers own nothing.
public struct APIDependencies: Sendable {
    public var healthBook: HealthBook
    public var readiness: Readiness
    public var metrics: SwitchyardMetrics
    public var clock: any WallClock
    /// Where accepted client reports go: the same pipeline as probes (health, store, metrics).
    public var deliver: @Sendable (Observation) -> Void
    /// Stored rollups and transitions for `/v1/history` and `/v1/events`; nil answers 503.
    public var history: (any HistoryReading)?
    /// Waits until what was delivered is committed, so a 2xx for reports means stored
    /// (false when storage is failing: the reports still count, from memory).
    public var stored: @Sendable () async -> Bool

    /// Each provider's probe budget today (the probe scheduler's answer).
    public var budgets: @Sendable () async -> [ProbeBudgetStatus]
    /// What the admin routes act through.
    public var admin: AdminHooks
    /// The bearer token that admits admin requests over TCP (`admin:` in the config); a reload may replace it.
    public var adminToken = AdminToken()
    /// Body size and connection limits of the listeners.
    public var limits = ServerLimits()
    /// Where `/v1/history`, `/metrics` and `/` run, and how many at once.
    public var heavyReads = HeavyReads()
    /// The OpenAI-compatible gateway; nil answers its routes with 404 `gateway_disabled`.
    public var gateway: GatewayDependencies?

    /// Answers to recent report batches with a `batch_id`, replayed to a retry.
    public var reportBatches = ReportBatchMemory()
    /// The client tokens (`clients:`) and `listen.tcp_without_token`; a reload swaps them.
    public var clientTokens = ClientTokens()
    /// The fleet as this host sees it (`GET /v1/fleet`, status page, metrics); nil without `fleet:`.
    public var fleet: (@Sendable () -> FleetStatus)?

    var authorizer: AdminAuthorizer { AdminAuthorizer(token: adminToken.current) }

    /// Who sent a request (see `CallerAuthenticator`), with the tokens as they are now.
    public var callerAuthenticator: CallerAuthenticator { CallerAuthenticator(table: clientTokens.current) }

    public init(healthBook: HealthBook, readiness: Readiness, metrics: SwitchyardMetrics, clock: any WallClock,
                deliver: @escaping @Sendable (Observation) -> Void, history: (any HistoryReading)? = nil,
                stored: @escaping @Sendable () async -> Bool = { true },
                budgets: @escaping @Sendable () async -> [ProbeBudgetStatus] = { [] },
                admin: AdminHooks = AdminHooks()) {
        self.budgets = budgets
        self.admin = admin
        self.history = history
        self.stored = stored
        self.healthBook = healthBook
        self.readiness = readiness
        self.metrics = metrics
        self.clock = clock
        self.deliver = deliver
    }
}

/// The daemon's side of the admin routes: reload the configuration, and put
/// admin-caused transitions into the events log (store, metrics, journal).
public struct AdminHooks: Sendable {
    /// Re-reads and applies the configuration file; the argument is the caller (`uid:N`, `token`, `signal`).
    public var reload: @Sendable (_ caller: String) async -> ReloadOutcome
    /// Records transitions that did not come from an observation (drain, undrain).
    public var record: @Sendable (_ transitions: [Transition]) -> Void
    /// Records a daemon-wide event (a capability the gateway learned) in the events log.
    public var recordEvent: @Sendable (DaemonEvent) -> Void
    /// Records a drain or undrain for every host of the fleet's group (`?fleet=true`); nil without `fleet:`.
    /// Throws when the fleet cannot be reached.
    public var fleetDrain: (@Sendable (_ provider: ProviderID, _ draining: Bool, _ caller: String) async throws -> Void)?

    public init(reload: @escaping @Sendable (String) async -> ReloadOutcome = { _ in
                    ReloadOutcome(succeeded: false, message: "this daemon was started without a configuration file to reload")
                },
                record: @escaping @Sendable ([Transition]) -> Void = { _ in },
                recordEvent: @escaping @Sendable (DaemonEvent) -> Void = { _ in }) {
        self.reload = reload
        self.record = record
        self.recordEvent = recordEvent
    }
}

/// The routes of DESIGN.md, identical on every listener: exactly the cases of `APIEndpoint`.
public enum APIRoutes {
    public static func router(_ deps: APIDependencies) -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: JSONErrorMiddleware())
        router.add(middleware: BodyLimitMiddleware(cap: bodyCap(deps)))
        for endpoint in APIEndpoint.allCases {
            router.on(RouterPath(endpoint.path), method: endpoint.method) { request, context in
                try await handle(endpoint, request, context, deps)
            }
        }
        return router
    }

    /// The body caps of `deps`: `listen.max_body_bytes`, and the gateway's upload cap as it stands.
    static func bodyCap(_ deps: APIDependencies) -> BodyCap {
        BodyCap(maxBytes: deps.limits.maxBodyBytes, uploadMaxBytes: { deps.gateway?.directory.current.settings.maxUploadBytes })
    }

    /// Which `Expect: 100-continue` requests get their 100: not one over its body cap, nor a TCP
    /// request to a route that asks for a caller (the gateway's POSTs, reports) whose token the
    /// authenticator, with the tokens as they are now, would refuse.
    static func continuePolicy(_ deps: APIDependencies) -> ContinuePolicy {
        ContinuePolicy(cap: bodyCap(deps)) { path, authorization in
            guard path == APIEndpoint.reports.path || GatewayRoutes.endpoint(atPath: path) != nil else { return false }
            return (try? deps.callerAuthenticator.caller(authorization: authorization)) == nil
        }
    }

    /// A JSON gateway request's answer as the router gives it, for `GatewayChannelHandler`, which
    /// takes these requests off the pipeline before the router: a declared body over the cap, then
    /// any query parameter, is refused first (in the OpenAI shape), as the middleware and `handle` do.
    static func gatewayAnswer(_ endpoint: GatewayEndpoint, _ request: Request, _ context: APIRequestContext, _ deps: APIDependencies) async -> Response {
        if let refusal = GatewayRoutes.declaredTooLarge(request, maxBytes: deps.limits.maxBodyBytes) { return refusal }
        do {
            _ = try QueryParameters(request, known: [])
        } catch {
            return OpenAIError.invalid(error as? APIError ?? APIError(.badRequest, code: "bad_parameter", message: "\(error)")).response(ServedBy())
        }
        return await GatewayRoutes.forward(endpoint, request, context, deps)
    }

    private static func handle(_ endpoint: APIEndpoint, _ request: Request, _ context: APIRequestContext, _ deps: APIDependencies) async throws -> Response {
        // Routes without options refuse any query parameter first, before auth or lookups.
        if !endpoint.takesQuery {
            do {
                _ = try QueryParameters(request, known: [])
            } catch let error as APIError where endpoint.isGateway {
                return OpenAIError.invalid(error).response(ServedBy())
            }
        }
        if endpoint.isHeavyRead {
            do {
                return try await heavyRead(endpoint, request, deps)
            } catch {
                await deps.heavyReads.delayIfRefused(error)
                throw error
            }
        }
        switch endpoint {
        case .chatCompletions, .completions, .embeddings, .imagesGenerations, .audioTranscriptions, .audioSpeech:
            return await GatewayRoutes.forward(endpoint.gatewayEndpoint!, request, context, deps)
        case .models:
            return await GatewayRoutes.models(request, context, deps)
        case .model:
            return await GatewayRoutes.model(context.parameters.get("model") ?? "", request, context, deps)
        case .namespacedModel:
            let id = "\(context.parameters.get("model") ?? "")/\(context.parameters.get("name") ?? "")"
            return await GatewayRoutes.model(id, request, context, deps)
        case .healthz:
            return try JSONResponse.make(Wire.Health(status: "ok"))
        case .readyz:
            let status = deps.readiness.current
            return try JSONResponse.make(Wire.Readiness(status), status: status.isReady ? .ok : .serviceUnavailable)
        case .fleet:
            return try JSONResponse.make(Wire.Fleet(deps.fleet?()))
        case .route:
            return try route(request, deps)
        case .providers:
            return try JSONResponse.make(Wire.ProviderList(providers: await providers(deps, only: nil)))
        case .provider:
            let name = try context.parameters.require("name")
            guard let provider = await providers(deps, only: ProviderID(name)).first else {
                throw APIError.notFound("unknown_provider", "no provider named '\(name)'; configured: \(AdminRoutes.configuredProviders(deps))")
            }
            return try JSONResponse.make(provider)
        case .reports:
            let caller = try await deps.callerAuthenticator.caller(request, context)
            let body = try await request.body.collect(upTo: deps.limits.maxBodyBytes)
            let answer = try ReportsEndpoint.accept(body, caller: caller, deps)
            if answer.accepted > 0 { _ = await deps.stored() }
            return try JSONResponse.make(answer)
        case .events:
            return try HistoryRoutes.events(request, deps)
        case .statusPage, .history, .metrics:
            preconditionFailure("heavy reads are answered by heavyRead(_:_:_:)")
        case .openapi:
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        case .drain, .undrain:
            return try await AdminRoutes.setDraining(endpoint == .drain, request, context, deps)
        case .reload:
            return try await AdminRoutes.reload(request, context, deps)
        }
    }

    /// `/`, `/v1/history` and `/metrics`: on the heavy-read threads, each holding a slot of `deps.heavyReads`.
    private static func heavyRead(_ endpoint: APIEndpoint, _ request: Request, _ deps: APIDependencies) async throws -> Response {
        switch endpoint {
        case .history:
            return try HistoryRoutes.history(request, deps)
        case .statusPage:
            let slot = try deps.heavyReads.admit()
            let html = try await deps.heavyReads.run { StatusPage.html(deps) }
            withExtendedLifetime(slot) {}
            return StatusPage.response(html: html)
        default:
            let slot = try deps.heavyReads.admit()
            let metrics = deps.metrics
            let budgets = await deps.budgets()
            let text = try await deps.heavyReads.run { metrics.exposition(budgets: budgets) }
            withExtendedLifetime(slot) {}
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
    }

    private static let routeParameters: Set<String> = ["model", "strategy", "task", "max_price", "exclude", "limit", "pick", "client", "needs", "min_context"]

    static func route(_ request: Request, _ deps: APIDependencies) throws -> Response {
        let parameters = try QueryParameters(request, known: routeParameters, allowEmpty: ["exclude"])
        guard let modelText = parameters.text("model") else {
            throw APIError.badParameter("model", "required, e.g. /v1/route?model=llama-3.1-8b")
        }
        var query = RouteQuery(model: ModelName(modelText))
        // The gateway's model grammar: an upstream id, `NAME:STRATEGY`, `NAME:PROVIDER` (pinned).
        if let catalog = deps.gateway?.directory.current.catalog, let selection = catalog.resolve(modelText) {
            query.model = selection.model
            if let strategy = selection.strategy { query.strategy = strategy }
            if let pinned = selection.pinned {
                query.exclude = Set((catalog.providersByModel[selection.model] ?? []).filter { $0 != pinned })
            }
        }
        if let text = parameters.text("strategy") {
            guard let strategy = RoutingStrategy(rawValue: text) else {
                throw APIError.badParameter("strategy", "'\(text)' is not one of \(RoutingStrategy.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            query.strategy = strategy
        }
        if let text = parameters.text("task") {
            guard let task = InferenceTask(rawValue: text) else {
                throw APIError.badParameter("task", "'\(text)' is not one of \(InferenceTask.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            query.task = task
        }
        if let text = parameters.text("max_price") {
            guard text.wholeMatch(of: /[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/) != nil, let value = Double(text), value.isFinite else {
                throw APIError.badParameter("max_price", "'\(text)' is not a non-negative number of USD")
            }
            query.maxPrice = value
        }
        if let text = parameters.text("limit") {
            guard let value = Int(text), (1...1000).contains(value) else { throw APIError.badParameter("limit", "'\(text)' is not a whole number from 1 to 1000") }
            query.limit = value
        }
        switch (parameters.text("pick"), parameters.text("client")) {
        case (nil, nil), ("best", nil):
            break
        case ("spread", let client?) where !client.isEmpty && client.count <= 200:
            query.pick = .spread(client: client)
        case ("spread", _):
            throw APIError.badParameter("client", "pick=spread needs a client id (1 to 200 characters) to keep its order stable")
        case (let pick?, _) where pick != "spread" && pick != "best":
            throw APIError.badParameter("pick", "'\(pick)' is not one of best, spread")
        default:
            throw APIError.badParameter("client", "only meaningful with pick=spread")
        }
        if let text = parameters.text("exclude") {
            query.exclude.formUnion(text.split(separator: ",").map { ProviderID(String($0)) })
        }
        if let text = parameters.text("needs") {
            switch CapabilityNeeds.parse(needs: text) {
            case .success(let needs): query.needs = needs
            case .failure(let unknown):
                throw APIError.badParameter("needs", "'\(unknown.token)' is not one of tools, structured_output, vision (comma-separated)")
            }
        }
        if let text = parameters.text("min_context") {
            guard text.count <= 12, let value = Int(text), value > 0 else {
                throw APIError.badParameter("min_context", "'\(text)' is not a whole number of tokens above 0")
            }
            query.needs.minContext = value
        }
        switch deps.healthBook.route(query, now: deps.clock.now()) {
        case .route(let route):
            deps.metrics.recordRouteQuery(strategy: query.strategy, result: route.panic ? .panic : .ok)
            return try RouteJSON.response(route)
        case .unknownModel(let known):
            deps.metrics.recordRouteQuery(strategy: query.strategy, result: .unknownModel)
            throw APIError.notFound("unknown_model", "no model named '\(modelText)'; configured: \(known.map(\.rawValue).joined(separator: ", "))")
        case .unservedTask(let served):
            deps.metrics.recordRouteQuery(strategy: query.strategy, result: .unknownModel)
            throw APIError.notFound("unknown_task", "model '\(modelText)' has no \(query.task.rawValue) target; its targets do: \(served.map(\.rawValue).joined(separator: ", "))")
        }
    }

    private static func providers(_ deps: APIDependencies, only: ProviderID?) async -> [Wire.Provider] {
        let now = deps.clock.now()
        let halfLife = deps.healthBook.ranker.policy.successHalfLifeSeconds
        var bodies: [Wire.Provider] = []
        // A provider drawing on another's budget (a discovered partner) shows that shared budget.
        let budgets = Dictionary(await deps.budgets().flatMap { status in ([status.provider] + status.sharedBy).map { ($0, status) } },
                                 uniquingKeysWith: { first, _ in first })
        for snapshot in deps.healthBook.snapshots() {
            let provider = snapshot.descriptor.target.provider
            if let only, only != provider { continue }
            let target = Wire.Target(snapshot, successRate: snapshot.stats.successProbability(at: now, halfLifeSeconds: halfLife), now: now)
            if bodies.last?.name == provider.rawValue {
                bodies[bodies.count - 1].targets.append(target)
            } else {
                bodies.append(Wire.Provider(baseURL: snapshot.descriptor.baseURL, name: provider.rawValue,
                                            probeBudget: budgets[provider].map(Wire.ProbeBudget.init), targets: [target]))
            }
        }
        return bodies
    }
}
