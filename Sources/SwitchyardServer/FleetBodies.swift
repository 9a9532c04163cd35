import SwitchyardCore
import SwitchyardWire

extension Wire.Fleet {
    /// `GET /v1/fleet`: `{"enabled": false}` without `fleet:`, else the group's hosts and this host's publishing.
    init(_ status: FleetStatus?) {
        guard let status else {
            self.init(enabled: false)
            return
        }
        self.init(buffered: status.buffered, dropped: status.dropped, enabled: true, group: status.group, host: status.host,
                  hosts: status.hosts.map(Wire.FleetHost.init), problem: status.problem, publishLagSeconds: status.publishLagSeconds,
                  published: status.published, received: status.received, undecodable: status.undecodable)
    }
}

extension Wire.FleetHost {
    init(_ host: SwitchyardCore.FleetHost) {
        self.init(host: host.name, isSelf: host.isSelf, lastSeen: host.lastSeen.rfc3339, publishLagSeconds: host.publishLagSeconds,
                  stale: host.stale, unhealthyTargets: host.unhealthyTargets)
    }
}
