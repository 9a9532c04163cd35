import ArgumentParser
import Foundation
import SwitchyardDaemon

/// The `switchyard` command: the daemon, the demo, and the client commands.
/// Exit codes of the client commands: 0 ok, 1 the daemon answered with an error, 2 usage, 3 daemon unreachable.
@main
struct Switchyard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Provider health monitor and routing daemon for LLM inference providers.",
        discussion: "Client commands exit 0 on success, 1 when the daemon answers with an error, 2 on a usage error, 3 when the daemon cannot be reached.",
        version: SwitchyardVersion.current,
        subcommands: [
            Serve.self, Demo.self, CheckConfig.self,
            Status.self, RouteCommand.self, Providers.self, History.self, Events.self,
            Drain.self, Undrain.self, Reload.self, FleetCommand.self,
        ]
    )

    /// ArgumentParser's own usage failures exit 64; the documented code is 2.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
