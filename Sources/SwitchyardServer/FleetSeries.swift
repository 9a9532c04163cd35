import Prometheus
import Synchronization
import SwitchyardCore

/// The `switchyard_fleet_*` series, made at the first scrape that finds a fleet (none without `fleet:`).
/// Peer series are labelled by host name: the group's hosts, bounded by the fleet's size.
final class FleetSeries: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let up: Gauge
    private let buffered: Gauge
    private let publishLag: Gauge
    private let dropped: CounterFromTotal
    private let published: CounterFromTotal
    private let received: CounterFromTotal
    private let undecodable: CounterFromTotal
    private let peers = Mutex<[String: (lastContact: Gauge, unhealthy: Gauge)]>([:])

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        up = registry.makeGauge(descriptor: MetricName.fleetUp)
        buffered = registry.makeGauge(descriptor: MetricName.fleetBuffered)
        publishLag = registry.makeGauge(descriptor: MetricName.fleetPublishLag)
        dropped = CounterFromTotal(registry.makeCounter(descriptor: MetricName.fleetDropped))
        published = CounterFromTotal(registry.makeCounter(descriptor: MetricName.fleetPublished))
        received = CounterFromTotal(registry.makeCounter(descriptor: MetricName.fleetReceived))
        undecodable = CounterFromTotal(registry.makeCounter(descriptor: MetricName.fleetUndecodable))
    }

    func show(_ status: FleetStatus) {
        up.set(to: status.problem == nil ? 1 : 0)
        buffered.set(to: Double(status.buffered))
        publishLag.set(to: status.publishLagSeconds)
        dropped.set(total: Double(status.dropped))
        published.set(total: Double(status.published))
        received.set(total: Double(status.received))
        undecodable.set(total: Double(status.undecodable))
        peers.withLock { peers in
            let names = Set(status.hosts.map(\.name))
            for (name, gauges) in peers where !names.contains(name) {
                registry.unregisterGauge(gauges.lastContact)
                registry.unregisterGauge(gauges.unhealthy)
                peers[name] = nil
            }
            for host in status.hosts {
                let gauges = peers[host.name] ?? (
                    registry.makeGauge(descriptor: MetricName.fleetPeerLastContact, labels: [("host", host.name)]),
                    registry.makeGauge(descriptor: MetricName.fleetPeerUnhealthy, labels: [("host", host.name)])
                )
                peers[host.name] = gauges
                gauges.lastContact.set(to: host.lastSeen.secondsSinceEpoch)
                gauges.unhealthy.set(to: Double(host.unhealthyTargets))
            }
        }
    }
}

extension MetricName {
    static var fleetUp: MetricNameDescriptor { name("fleet", "up", "", "1 while the fleet's PostgreSQL is in use, 0 while this host routes alone (see /readyz fleet_problem).") }
    static var fleetBuffered: MetricNameDescriptor { name("fleet", "buffered_observations", "", "Observations waiting to be published to the fleet.") }
    static var fleetPublishLag: MetricNameDescriptor { name("fleet", "publish_lag", "seconds", "How long the oldest observation waiting to be published has waited.") }
    static var fleetDropped: MetricNameDescriptor { name("fleet", "dropped_observations", "total", "Observations dropped because the fleet's publish buffer was full.") }
    static var fleetPublished: MetricNameDescriptor { name("fleet", "published_observations", "total", "Observations published to the fleet.") }
    static var fleetReceived: MetricNameDescriptor { name("fleet", "received_observations", "total", "Peers' observations fed to this host's health.") }
    static var fleetUndecodable: MetricNameDescriptor { name("fleet", "undecodable_rows", "total", "Peers' shared rows skipped because they did not decode.") }
    static var fleetPeerLastContact: MetricNameDescriptor {
        name("fleet", "peer_last_contact_timestamp", "seconds", "Unix time of each group host's last heartbeat on PostgreSQL (this host's included).")
    }
    static var fleetPeerUnhealthy: MetricNameDescriptor { name("fleet", "peer_unhealthy_targets", "", "Targets each group host sees as not healthy, at its last heartbeat.") }
}
