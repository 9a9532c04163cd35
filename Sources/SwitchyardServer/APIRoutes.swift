import Hummingbird
import NIOCore
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
    public var budgets: @Sendable () -> [ProbeBudgetStatus]
    /// What the admin routes act through.
    public var admin: AdminHooks

    public init(healthBook: HealthBook, readiness: Readiness, metrics: SwitchyardMetrics, clock: any WallClock,
                deliver: @escaping @Sendable (Observation) -> Void, history: (any HistoryReading)? = nil,
                stored: @escaping @Sendable () async -> Bool = { true },
                budgets: @escaping @Sendable () -> [ProbeBudgetStatus] = { [] },
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

    public init(reload: @escaping @Sendable (String) async -> ReloadOutcome = { _ in
                    ReloadOutcome(succeeded: false, message: "this daemon was started without a configuration file to reload")
                },
                record: @escaping @Sendable ([Transition]) -> Void = { _ in }) {
        self.reload = reload
        self.record = record
    }
}

/// The routes of DESIGN.md, identical on every listener.
public enum APIRoutes {
    public static func router(_ deps: APIDependencies) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: JSONErrorMiddleware())
        router.get("/healthz") { _, _ in try JSONResponse.make(["status": "ok"]) }
        router.get("/readyz") { _, _ in
            let status = deps.readiness.current
            return try JSONResponse.make(ReadinessBody(status), status: status.isReady ? .ok : .serviceUnavailable)
        }
        router.get("/v1/route") { request, _ in try route(request, deps) }
        router.get("/v1/providers") { _, _ in try JSONResponse.make(["providers": providers(deps, only: nil)]) }
        router.get("/v1/providers/{name}") { _, context in
            let name = try context.parameters.require("name")
            let matching = providers(deps, only: ProviderID(name))
            guard let provider = matching.first else {
                let known = providers(deps, only: nil).map(\.name.rawValue).joined(separator: ", ")
                throw APIError.notFound("unknown_provider", "no provider named '\(name)'; configured: \(known)")
            }
            return try JSONResponse.make(provider)
        }
        router.post("/v1/reports") { request, _ in
            let body = try await request.body.collect(upTo: ReportsEndpoint.maxBodyBytes)
            let answer = try ReportsEndpoint.accept(body, deps)
            if answer.accepted > 0 { _ = await deps.stored() }
            return try JSONResponse.make(answer)
        }
        HistoryRoutes.add(to: router, deps)
        StatusPage.add(to: router, deps)
        router.get("/metrics") { _, _ in
            deps.metrics.recordBudgets(deps.budgets())
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: deps.metrics.exposition())))
        }
        return router
    }

    private static let routeParameters: Set<String> = ["model", "strategy", "max_price", "exclude", "limit", "pick", "client"]

    private static func route(_ request: Request, _ deps: APIDependencies) throws -> Response {
        let parameters = request.uri.queryParameters
        for (key, _) in parameters where !routeParameters.contains(String(key)) {
            throw APIError.badParameter(String(key), "unknown parameter; known: \(routeParameters.sorted().joined(separator: ", "))")
        }
        guard let modelText = parameters.get("model"), !modelText.isEmpty else {
            throw APIError.badParameter("model", "required, e.g. /v1/route?model=llama-3.1-8b")
        }
        var query = RouteQuery(model: ModelName(modelText))
        if let text = parameters.get("strategy") {
            guard let strategy = RoutingStrategy(rawValue: text) else {
                throw APIError.badParameter("strategy", "'\(text)' is not one of \(RoutingStrategy.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            query.strategy = strategy
        }
        if let text = parameters.get("max_price") {
            guard let value = Double(text), value.isFinite, value >= 0 else {
                throw APIError.badParameter("max_price", "'\(text)' is not a non-negative number of USD")
            }
            query.maxPrice = value
        }
        if let text = parameters.get("limit") {
            guard let value = Int(text), value > 0 else { throw APIError.badParameter("limit", "'\(text)' is not a positive whole number") }
            query.limit = value
        }
        switch (parameters.get("pick"), parameters.get("client")) {
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
        if let text = parameters.get("exclude") {
            query.exclude = Set(text.split(separator: ",").map { ProviderID(String($0)) })
        }
        switch deps.healthBook.route(query, now: deps.clock.now()) {
        case .route(let route):
            deps.metrics.recordRouteQuery(strategy: query.strategy, result: route.panic ? .panic : .ok)
            return try RouteJSON.response(RouteBody(route))
        case .unknownModel(let known):
            deps.metrics.recordRouteQuery(strategy: query.strategy, result: .unknownModel)
            throw APIError.notFound("unknown_model", "no model named '\(modelText)'; configured: \(known.map(\.rawValue).joined(separator: ", "))")
        }
    }

    private static func providers(_ deps: APIDependencies, only: ProviderID?) -> [ProviderBody] {
        let now = deps.clock.now()
        let halfLife = deps.healthBook.ranker.policy.successHalfLifeSeconds
        var bodies: [ProviderBody] = []
        let budgets = Dictionary(deps.budgets().map { ($0.provider, $0) }, uniquingKeysWith: { $1 })
        for snapshot in deps.healthBook.snapshots() {
            let provider = snapshot.descriptor.target.provider
            if let only, only != provider { continue }
            let target = TargetBody(snapshot, successRate: snapshot.stats.successProbability(at: now, halfLifeSeconds: halfLife))
            if bodies.last?.name == provider {
                bodies[bodies.count - 1].targets.append(target)
            } else {
                bodies.append(ProviderBody(name: provider, baseURL: snapshot.descriptor.baseURL, targets: [target],
                                           probeBudget: budgets[provider].map(ProbeBudgetBody.init)))
            }
        }
        return bodies
    }
}
