import Foundation
import Logging
import SwitchyardCore
import SwitchyardWire

/// The answer of `GET /v1/route`: the type generated from openapi/switchyard.json.
public typealias RouteAnswer = Wire.Route

/// Typed calls to the daemon's API, plus what a program needs to act on them: a short-TTL
/// route cache, non-blocking batched reports and `withFailover`. Share one per process.
public struct SwitchyardClient: Sendable {
    public let connection: DaemonConnection
    public let options: ClientOptions
    let cache: RouteCache
    let cooldowns: FailureCooldowns
    let reports: ReportBuffer
    let jitter: JitterSource
    let fallbackNotice = FallbackNotice()

    /// A client of the daemon at `endpoint` (its Unix socket by default, `SWITCHYARD_SOCKET` overrides).
    /// `token` authorises admin calls over TCP (`Authorization: Bearer`), `clientToken` this program's
    /// reports over TCP (a token from the daemon's `clients:`); the Unix socket needs neither.
    public init(endpoint: DaemonEndpoint = .defaultSocket(), token: String? = nil, clientToken: String? = nil, options: ClientOptions = ClientOptions()) {
        let connection = DaemonConnection(endpoint: endpoint, timeoutSeconds: options.daemonTimeoutSeconds, token: token, clientToken: clientToken)
        self.connection = connection
        self.options = options
        cache = RouteCache(ttl: options.cacheTTLSeconds, clock: options.clock)
        cooldowns = FailureCooldowns(seconds: options.failureCooldownSeconds, clock: options.clock)
        jitter = JitterSource(seed: options.seed)
        reports = ReportBuffer(capacity: options.reportCapacity, interval: options.reportIntervalSeconds) { batch, batchID in
            let body = try ReportBatch.encoder.encode(ReportBatch(batchID: batchID, reports: batch))
            _ = try connection.postBlocking("/v1/reports", json: body)
        }
    }

    /// The ranked candidates for `model`, straight from the daemon (no cache, no fallback); `needs`
    /// leaves out those known to lack them (the answer's `excluded` says why); `task` asks for the
    /// model's targets of that task (`/v1/route?task=text-to-image`; chat, the default, is not sent).
    public func route(model: String, strategy: RoutingStrategy? = nil, needs: CapabilityNeeds = .none,
                      task: InferenceTask = .chat) async throws -> RouteAnswer {
        var query = "model=\(DaemonConnection.escape(model))"
        if let strategy { query += "&strategy=\(strategy.rawValue)" }
        query += needs.queryText
        if task != .chat { query += "&task=\(task.rawValue)" }
        let data = try await connection.get("/v1/route?" + query)
        do {
            return try JSONDecoder().decode(RouteAnswer.self, from: data)
        } catch {
            throw ClientError.badAnswer("\(error)")
        }
    }

    /// The order `withFailover` tries for `model`: from the cache while fresh, else from the daemon,
    /// else, when the daemon cannot be reached, the configured static order (logged once).
    /// Throws only for a model the daemon does not know and the static order does not list.
    public func candidates(model: String, strategy: RoutingStrategy? = nil, needs: CapabilityNeeds = .none,
                           task: InferenceTask = .chat) async throws -> ResolvedRoute {
        let key = RouteCache.Key(model: model, strategy: strategy?.rawValue ?? "", needs: needs, task: task)
        if let cached = cache.get(key) { return cached }
        let resolved: ResolvedRoute
        do {
            let answer = try await route(model: model, strategy: strategy, needs: needs, task: task)
            resolved = ResolvedRoute(model: model, candidates: answer.candidates.map(ProviderCandidate.init), source: .daemon,
                                     excluded: (answer.excluded ?? []).map { ResolvedRoute.Exclusion(provider: $0.provider, reason: $0.reason) })
            if fallbackNotice.daemonAnswered() {
                options.logger.notice("switchyard daemon answers again; routing from it", metadata: ["endpoint": "\(connection.endpoint)"])
            }
        } catch let error as ClientError {
            // A 4xx is the caller's to see (unless a 404'd model has a static route); a 5xx means the
            // monitor is in trouble, and like an unreachable one it must not fail the caller.
            if case .daemon(let status, _, _) = error, status < 500, status != 404 || options.staticRoutes[model] == nil { throw error }
            if fallbackNotice.daemonFailed() {
                options.logger.warning("switchyard daemon not usable; using the static provider order until it answers again",
                                       metadata: ["error": "\(error)"])
            }
            resolved = ResolvedRoute(model: model, candidates: options.staticRoutes[model] ?? [], source: .fallback)
        }
        cache.put(key, resolved)
        return resolved
    }

    /// Queues one outcome for the daemon and returns at once; false when the bounded buffer was
    /// full and the report was dropped (counted in `reportStats`).
    @discardableResult
    public func report(_ report: OutcomeReport) -> Bool { reports.add(report) }

    /// What became of the reports so far: sent, dropped because the buffer was full, failed.
    public var reportStats: ReportStats { reports.stats }

    /// Returns once every report queued so far has been sent or given up on.
    public func flushReports() async { await reports.flush() }

    /// Whether a key may go to `candidate`'s host: always over the Unix socket (routes name the
    /// daemon's own providers); over TCP only for `options.trustedHosts` and the static routes' hosts.
    public func trusts(_ candidate: ProviderCandidate) -> Bool {
        if case .unixSocket = connection.endpoint { return true }
        guard let host = ProviderKeys.host(of: candidate.baseURL) else { return false }
        let staticHosts = options.staticRoutes.values.flatMap { $0.compactMap { ProviderKeys.host(of: $0.baseURL) } }
        return ProviderKeys.matches(host, options.trustedHosts + staticHosts)
    }

    /// The key to send `candidate` under `options.keys`, or nil (send none): nothing to an untrusted host.
    public func apiKey(for candidate: ProviderCandidate) -> String? {
        trusts(candidate) ? options.keys.key(provider: candidate.provider, baseURL: candidate.baseURL) : nil
    }

}
