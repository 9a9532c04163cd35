import ArgumentParser
import Foundation
import SwitchyardClient
import SwitchyardWire

struct Drain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Take every target of a provider out of routing (admin).")

    @Argument(help: "The provider's name.")
    var provider: String
    @Flag(help: "Drain it on every host of the fleet's group too (needs fleet: in the daemon's config).")
    var fleet = false
    @OptionGroup var connection: ConnectionOptions

    func run() async throws { try await AdminDrain.run(provider, draining: true, fleet: fleet, connection) }
}

struct Undrain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Return a drained provider's targets to routing (admin).")

    @Argument(help: "The provider's name.")
    var provider: String
    @Flag(help: "Undrain it on every host of the fleet's group too (needs fleet: in the daemon's config).")
    var fleet = false
    @OptionGroup var connection: ConnectionOptions

    func run() async throws { try await AdminDrain.run(provider, draining: false, fleet: fleet, connection) }
}

/// The shared body of `drain` and `undrain`.
enum AdminDrain {
    static func run(_ provider: String, draining: Bool, fleet: Bool = false, _ connection: ConnectionOptions) async throws {
        let path = "/v1/admin/providers/\(DaemonConnection.escape(provider))/\(draining ? "drain" : "undrain")\(fleet ? "?fleet=true" : "")"
        let data = try await connection.call { try await $0.connection.post(path) }
        if connection.json { return connection.printJSON(data) }
        let answer = try JSONDecoder().decode(Wire.AdminDrain.self, from: data)
        let verb = draining ? "drained" : "undrained"
        if answer.changed.isEmpty {
            print("\(answer.provider): already \(verb); nothing changed")
        } else {
            print("\(answer.provider): \(verb) by \(answer.caller)\(fleet ? "; every host of the fleet follows" : "")")
            print(Table.render(header: ["MODEL", "FROM", "TO"], rows: answer.changed.map { [$0.model ?? "-", $0.from?.rawValue ?? "-", $0.to?.rawValue ?? "-"] }))
        }
    }
}

struct Reload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Make the daemon re-read its configuration file (admin).")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let data = try await connection.call { try await $0.connection.post("/v1/admin/reload") }
        if connection.json { return connection.printJSON(data) }
        let answer = try JSONDecoder().decode(Wire.Reload.self, from: data)
        print("reloaded: \(answer.message) (\(answer.added) added, \(answer.removed) removed, \(answer.kept) kept)")
    }
}
