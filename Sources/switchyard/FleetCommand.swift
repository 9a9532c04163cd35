import ArgumentParser
import Foundation
import SwitchyardWire

/// `switchyard fleet`: the group's hosts as this daemon sees them through PostgreSQL.
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Show the fleet: the group's hosts, when each was last heard from, publish lag and unhealthy targets.")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let data = try await connection.get("/v1/fleet", [])
        if connection.json { return connection.printJSON(data) }
        let fleet = try JSONDecoder().decode(Wire.Fleet.self, from: data)
        guard fleet.enabled else {
            print("This daemon is not in a fleet (no fleet: section in its configuration).")
            return
        }
        print("host \(fleet.host ?? "?") in group \(fleet.group ?? "?"): " + (fleet.problem.map { "PROBLEM: \($0)" } ?? "PostgreSQL in use"))
        print("published \(fleet.published ?? 0), received \(fleet.received ?? 0), buffered \(fleet.buffered ?? 0), dropped \(fleet.dropped ?? 0), "
              + "undecodable \(fleet.undecodable ?? 0), publish lag \(String(format: "%.1f", fleet.publishLagSeconds ?? 0)) s")
        let rows = (fleet.hosts ?? []).map { host in
            [host.host + (host.isSelf ? " (this host)" : ""), host.lastSeen, String(format: "%.1f s", host.publishLagSeconds),
             "\(host.unhealthyTargets)", host.stale ? "stale" : "live"]
        }
        print(Table.render(header: ["HOST", "LAST SEEN", "PUBLISH LAG", "UNHEALTHY", "STATUS"], rows: rows))
    }
}
