import ArgumentParser
import SwitchyardDaemon

/// The `switchyard` command: the daemon, the demo, and the client commands.
@main
struct Switchyard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Provider health monitor and routing daemon for LLM inference providers.",
        version: SwitchyardVersion.current,
        subcommands: [
            Serve.self, Demo.self, CheckConfig.self,
            Status.self, RouteCommand.self, Providers.self,
        ]
    )
}
