import Prometheus
import Synchronization
import SwitchyardCore

/// Enforces each configured client's `rate` and `budget` on the gateway: `admit` before any
/// upstream attempt (a refusal is a 429 in the OpenAI shape that reaches no provider), `spend`
/// after each answered attempt. Unix peers and anonymous TCP callers have no limits.
public final class ClientLimiter: Sendable {
    private let allowance = Mutex(ClientAllowance())
    private let refusals = Mutex<[String: ClientUsage.Refusals]>([:])
    private let metrics: ClientLimitMetrics

    init(registry: PrometheusCollectorRegistry) {
        metrics = ClientLimitMetrics(registry: registry)
    }

    /// Nil when `caller` may send one more request now under `limits` (its entry in
    /// `GatewayConfiguration.clientLimits`); else the 429 to answer.
    func admit(_ caller: Caller, limits: ClientLimits?, now: Timestamp) -> OpenAIError? {
        guard case .client(let name) = caller, let limits, !limits.isUnlimited else { return nil }
        let admission = allowance.withLock { $0.admit(name, limits: limits, now: now) }
        switch admission {
        case .allowed:
            return nil
        case .rateLimited(let retryAfter):
            refusals.withLock { $0[name, default: .init()].rate += 1 }
            metrics.refused(name, reason: "rate")
            return OpenAIError(status: .tooManyRequests, type: "rate_limit_error", code: "client_rate_limited",
                               message: "client '\(name)' is over its rate of \(limits.requestsPerMinute ?? 0) requests per minute (clients[].rate); retry in \(Self.whole(retryAfter)) s",
                               retryAfterSeconds: Self.whole(retryAfter))
        case .overBudget(let retryAfter):
            refusals.withLock { $0[name, default: .init()].budget += 1 }
            metrics.refused(name, reason: "budget")
            return OpenAIError(status: .tooManyRequests, type: "insufficient_quota", code: "client_budget_exhausted",
                               message: "client '\(name)' has spent its budget of \(limits.usdPerDay ?? 0) USD for today (clients[].budget.usd_per_day); it renews at 00:00 UTC",
                               retryAfterSeconds: Self.whole(retryAfter))
        }
    }

    /// Adds one answered attempt's cost to the caller's spend today (clients only).
    func spend(_ caller: Caller, usd: Double, now: Timestamp) {
        guard case .client(let name) = caller, usd > 0 else { return }
        allowance.withLock { $0.spend(name, usd: usd, now: now) }
        metrics.spent(name, usd: usd)
    }

    /// Each client with limits, spend today or refusals since start, sorted by name: what the
    /// status page shows. `limits` is `GatewayConfiguration.clientLimits` as configured now.
    public func usage(limits: [String: ClientLimits], now: Timestamp) -> [ClientUsage] {
        let spent = allowance.withLock { $0.spentToday(now: now) }
        let refused = refusals.withLock { $0 }
        let names = Set(limits.keys).union(spent.keys).union(refused.keys)
        return names.sorted().map { name in
            ClientUsage(client: name, spentTodayUSD: spent[name] ?? 0, limits: limits[name] ?? ClientLimits(),
                        refusedSinceStart: refused[name] ?? .init())
        }
    }

    /// Seeds each client's spend of today from storage (`SQLiteStore.clientSpend`) at start-up.
    public func restore(_ spent: [String: Double], now: Timestamp) {
        allowance.withLock { allowance in
            for (client, usd) in spent { allowance.restore(client, usd: usd, now: now) }
        }
    }

    /// Whole seconds for `Retry-After`, at least 1.
    static func whole(_ seconds: Double) -> Int { max(1, Int(seconds.rounded(.up))) }
}

/// The per-client gateway series; the `client` label only takes configured client names
/// (a `Caller.client` comes from a configured token), `reason` is `rate` or `budget`.
final class ClientLimitMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let spendCounters = Mutex<[String: Counter]>([:])
    private let refusedCounters = Mutex<[String: Counter]>([:])

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    func spent(_ client: String, usd: Double) {
        let counter = spendCounters.withLock { counters in
            if let counter = counters[client] { return counter }
            let counter = registry.makeCounter(descriptor: MetricName.gatewayClientSpend, labels: [("client", client)])
            counters[client] = counter
            return counter
        }
        counter.increment(by: usd)
    }

    func refused(_ client: String, reason: String) {
        let counter = refusedCounters.withLock { counters in
            let key = client + "\u{0}" + reason
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(descriptor: MetricName.gatewayClientRefused, labels: [("client", client), ("reason", reason)])
            counters[key] = counter
            return counter
        }
        counter.increment()
    }
}
