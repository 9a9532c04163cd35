import Prometheus
import SwitchyardCore

/// A provider's probe budget gauges.
struct BudgetGauges: Sendable {
    let remaining: Gauge
    let exhausted: Gauge

    init(_ provider: ProviderID, registry: PrometheusCollectorRegistry) {
        remaining = registry.makeGauge(descriptor: MetricName.budgetRemaining, labels: [("provider", provider.rawValue)])
        exhausted = registry.makeGauge(descriptor: MetricName.budgetExhausted, labels: [("provider", provider.rawValue)])
    }

    func show(_ status: ProbeBudgetStatus) {
        if let left = status.remainingUSD { remaining.set(to: left) }
        exhausted.set(to: status.completionProbesPaused ? 1 : 0)
    }

    func unregister(from registry: PrometheusCollectorRegistry) {
        registry.unregisterGauge(remaining)
        registry.unregisterGauge(exhausted)
    }
}

/// The SQLite writer's series.
struct StoreSeries: Sendable {
    let queueDepth: Gauge
    let dropped: CounterFromTotal
    let writeErrors: CounterFromTotal
    let healthy: Gauge
    let bytes: Gauge
    let recovered: Counter

    init(registry: PrometheusCollectorRegistry) {
        queueDepth = registry.makeGauge(descriptor: MetricName.storeQueueDepth)
        dropped = CounterFromTotal(registry.makeCounter(descriptor: MetricName.storeDropped))
        writeErrors = CounterFromTotal(registry.makeCounter(descriptor: MetricName.storeWriteErrors))
        healthy = registry.makeGauge(descriptor: MetricName.storeHealthy)
        healthy.set(to: 1)
        bytes = registry.makeGauge(descriptor: MetricName.storeBytes)
        recovered = registry.makeCounter(descriptor: MetricName.storeRecovered)
    }

    func show(_ health: StoreHealth) {
        queueDepth.set(to: Double(health.queueDepth))
        dropped.set(total: Double(health.droppedRecords))
        writeErrors.set(total: Double(health.writeErrors))
        healthy.set(to: health.writing ? 1 : 0)
        bytes.set(to: Double(health.databaseBytes))
    }
}

/// Configuration reload series: counts by result, whether the last one worked, and when a
/// configuration was last loaded successfully.
struct ReloadSeries: Sendable {
    let succeeded: Counter
    let failed: Counter
    let lastSuccessful: Gauge
    let lastSuccessTime: Gauge

    init(registry: PrometheusCollectorRegistry, loadedAt: Timestamp?) {
        succeeded = registry.makeCounter(descriptor: MetricName.reloads, labels: [("result", "success")])
        failed = registry.makeCounter(descriptor: MetricName.reloads, labels: [("result", "failure")])
        lastSuccessful = registry.makeGauge(descriptor: MetricName.reloadSuccess)
        lastSuccessful.set(to: 1)
        lastSuccessTime = registry.makeGauge(descriptor: MetricName.reloadTimestamp)
        if let loadedAt { lastSuccessTime.set(to: loadedAt.secondsSinceEpoch) }
    }

    func record(_ event: DaemonEvent) {
        switch event.kind {
        case .reload:
            succeeded.increment()
            lastSuccessful.set(to: 1)
            lastSuccessTime.set(to: event.at.secondsSinceEpoch)
        case .reloadFailed:
            failed.increment()
            lastSuccessful.set(to: 0)
        case .databaseRecovered, .discovery, .discoveryFailed, .discoveryCut:
            break  // StoreSeries and DiscoverySeries count them
        case .capabilityLearned, .fleetProbeDuty:
            break
        }
    }
}
