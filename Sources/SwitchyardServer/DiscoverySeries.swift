import Prometheus
import SwitchyardCore

/// The `switchyard_discovery_*` series of one discovering provider (a configured name: bounded).
final class DiscoverySeries: Sendable {
    let succeeded: Counter
    let failed: Counter
    let targets: Gauge
    let cut: Gauge
    let stale: Gauge
    let lastSuccess: Gauge
    let unrouted: Gauge

    init(_ provider: ProviderID, registry: PrometheusCollectorRegistry) {
        let label = ("provider", provider.rawValue)
        succeeded = registry.makeCounter(descriptor: MetricName.discoveryRefreshes, labels: [label, ("result", "success")])
        failed = registry.makeCounter(descriptor: MetricName.discoveryRefreshes, labels: [label, ("result", "failure")])
        targets = registry.makeGauge(descriptor: MetricName.discoveryTargets, labels: [label])
        cut = registry.makeGauge(descriptor: MetricName.discoveryCut, labels: [label])
        stale = registry.makeGauge(descriptor: MetricName.discoveryStale, labels: [label])
        lastSuccess = registry.makeGauge(descriptor: MetricName.discoveryLastSuccess, labels: [label])
        unrouted = registry.makeGauge(descriptor: MetricName.discoveryUnrouted, labels: [label])
    }

    func unregister(from registry: PrometheusCollectorRegistry) {
        registry.unregisterCounter(succeeded)
        registry.unregisterCounter(failed)
        for gauge in [targets, cut, stale, lastSuccess, unrouted] { registry.unregisterGauge(gauge) }
    }
}

extension SwitchyardMetrics {
    /// What one catalog read of a discovering provider came to.
    public enum DiscoveryResult: Sendable {
        /// Read and applied: the targets it yields and the entries `max_targets` cut.
        case success(targets: Int, cut: Int, at: Timestamp)
        /// Not readable; the last good catalog stays in use.
        case failure
        /// The last good catalog, loaded from the state database at start-up.
        case restored(targets: Int, fetchedAt: Timestamp)
    }

    /// Drops the series of a provider that no longer discovers (a reload removed it).
    public func forgetDiscovery(_ provider: ProviderID) {
        discovery.withLock { $0.removeValue(forKey: provider) }?.unregister(from: registry)
    }

    /// Records how many entries of `provider`'s last good catalog were skipped for a task Switchyard does not route.
    public func recordUnroutedTasks(_ provider: ProviderID, _ count: Int) {
        discoverySeries(provider).unrouted.set(to: Double(count))
    }

    private func discoverySeries(_ provider: ProviderID) -> DiscoverySeries {
        discovery.withLock { all in
            if let known = all[provider] { return known }
            let made = DiscoverySeries(provider, registry: registry)
            all[provider] = made
            return made
        }
    }

    /// Records a catalog read of `provider` (a configured discovering provider).
    public func recordDiscovery(_ provider: ProviderID, _ result: DiscoveryResult) {
        let series = discoverySeries(provider)
        switch result {
        case .success(let targets, let cut, let at):
            series.succeeded.increment()
            series.targets.set(to: Double(targets))
            series.cut.set(to: Double(cut))
            series.stale.set(to: 0)
            series.lastSuccess.set(to: at.secondsSinceEpoch)
        case .failure:
            series.failed.increment()
            series.stale.set(to: 1)
        case .restored(let targets, let fetchedAt):
            series.targets.set(to: Double(targets))
            series.lastSuccess.set(to: fetchedAt.secondsSinceEpoch)
        }
    }
}
