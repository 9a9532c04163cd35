import Prometheus
import SwitchyardCore

/// The gateway's counters: requests by endpoint and result, attempts by outcome, failovers.
/// Labels come from fixed enums only.
final class GatewayMetrics: Sendable {
    /// The result of one gateway request, as a label.
    enum Result: String, CaseIterable {
        case ok
        case callerError = "caller_error"
        case upstreamFailed = "upstream_failed"
        case streamBroken = "stream_broken"
        case overloaded
        /// Refused with 429 by the client's own `rate` or `budget`.
        case clientLimited = "client_limited"
    }

    /// What became of a hedge, as a label.
    enum Hedge: String, CaseIterable {
        /// A second candidate was started beside a slow first attempt.
        case started
        /// The hedge answered first (the first attempt was canceled).
        case hedgeWon = "hedge_won"
        /// The first attempt answered first after all (the hedge was canceled).
        case firstWon = "first_won"
        /// The hedge instant came but the target's budget (`max_extra`) had no credit.
        case noBudget = "no_budget"
    }

    private let requests: [GatewayEndpoint: [Result: Counter]]
    private let attempts: [String: Counter]
    private let failovers: Counter
    private let hedges: [Hedge: Counter]

    init(registry: PrometheusCollectorRegistry) {
        var requests: [GatewayEndpoint: [Result: Counter]] = [:]
        for endpoint in GatewayEndpoint.allCases {
            for result in Result.allCases {
                requests[endpoint, default: [:]][result] = registry.makeCounter(
                    descriptor: MetricName.gatewayRequests, labels: [("endpoint", endpoint.rawValue), ("result", result.rawValue)])
            }
        }
        self.requests = requests
        let outcomes = ["ok", "caller_error", "unsupported"] + ErrorClass.allCases.map(\.rawValue)
        attempts = Dictionary(uniqueKeysWithValues: outcomes.map { ($0, registry.makeCounter(descriptor: MetricName.gatewayAttempts, labels: [("outcome", $0)])) })
        failovers = registry.makeCounter(descriptor: MetricName.gatewayFailovers)
        hedges = Dictionary(uniqueKeysWithValues: Hedge.allCases.map { ($0, registry.makeCounter(descriptor: MetricName.gatewayHedges, labels: [("result", $0.rawValue)])) })
    }

    func request(_ endpoint: GatewayEndpoint, _ result: Result) { requests[endpoint]?[result]?.increment() }
    func attempt(_ outcome: String) { attempts[outcome]?.increment() }
    func failover() { failovers.increment() }
    func hedge(_ result: Hedge) { hedges[result]?.increment() }
}
