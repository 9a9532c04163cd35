import Foundation
import Testing

/// The `switchyard` client commands, run as the built binary against a real daemon.
@Suite(.serialized, .timeLimit(.minutes(10))) struct CLIClientTests {
    static let binary = buildDirectory + "/switchyard"

    /// Runs `switchyard ARGS` off the cooperative pool; returns exit status and combined output.
    static func cli(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
        var env = ProcessInfo.processInfo.environment
        env["SWITCHYARD_SOCKET"] = nil
        env["SWITCHYARD_TOKEN"] = nil
        env.merge(environment) { $1 }
        let finalEnvironment = env
        let result = try await offPool { try runProgram(binary, arguments, environment: finalEnvironment) }
        return (status: result.0, output: result.1)
    }

    @Test func clientCommandsPrintTablesOrJSONWithDocumentedExitCodes() async throws {
        let token = "cli-secret-\(UUID().uuidString)"
        try await APITestDaemon.run(extraYAML: "admin: { token_env: SY_ADMIN_TOKEN }", environment: ["SY_ADMIN_TOKEN": token]) { daemon in
            let socket = ["--socket", daemon.socketPath]
            #expect(try await eventually(within: 20) {
                let (status, output) = try await Self.cli(["route", "m"] + socket)
                return status == 0 && output.contains("healthy") && output.contains(" a ") && output.contains(" b ")
            })
            let status = try await Self.cli(["status"] + socket)
            #expect(status.status == 0)
            #expect(status.output.contains("switchyard at unix socket \(daemon.socketPath): "), "\(status.output)")
            #expect(try await eventually(within: 20) { try await Self.cli(["status"] + socket).output.contains(": ready\ntargets: 2 healthy") })

            let providers = try await Self.cli(["providers"], environment: ["SWITCHYARD_SOCKET": daemon.socketPath])
            #expect(providers.status == 0)
            #expect(providers.output.hasPrefix("PROVIDER  MODEL  TASK  STATE"), "\(providers.output)")
            #expect(providers.output.contains(" chat "), "each target's task: \(providers.output)")
            #expect(providers.output.contains("CAPABILITIES") && providers.output.contains("unknown") && providers.output.contains("configured"),
                    "each target's capabilities and origin: \(providers.output)")
            let chat = try await Self.cli(["route", "m", "--task", "chat"] + socket)
            #expect(chat.status == 0 && chat.output.hasPrefix("m (balanced)") && chat.output.contains(" a "), "\(chat.output)")
            let image = try await Self.cli(["route", "m", "--task", "text-to-image"] + socket)
            #expect(image.status != 0 && image.output.contains("no text-to-image target"), "\(image.output)")
            let bogus = try await Self.cli(["route", "m", "--task", "image"] + socket)
            #expect(bogus.status != 0 && bogus.output.contains("'image' is not one of chat"), "\(bogus.output)")
            let needing = try await Self.cli(["route", "m", "--needs", "tools", "--min-context", "1000"] + socket)
            #expect(needing.status == 0 && needing.output.contains("tool support unknown"), "\(needing.output)")
            let json = try await Self.cli(["providers", "--json"] + socket)
            let parsed = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
            #expect((parsed?["providers"] as? [Any])?.count == 2)

            // Admin: over the socket as is; over TCP with --token (or $SWITCHYARD_TOKEN).
            let drain = try await Self.cli(["drain", "a"] + socket)
            #expect(drain.status == 0)
            #expect(drain.output.contains("a: drained by uid:\(getuid())"), "\(drain.output)")
            let again = try await Self.cli(["drain", "a"] + socket)
            #expect(again.output.contains("already drained"))
            let refused = try await Self.cli(["undrain", "a", "--url", daemon.tcpURL])
            #expect(refused.status == 1)
            #expect(refused.output.contains("401"), "\(refused.output)")
            let undrain = try await Self.cli(["undrain", "a", "--url", daemon.tcpURL, "--json"], environment: ["SWITCHYARD_TOKEN": token])
            #expect(undrain.status == 0)
            #expect(undrain.output.contains(#""caller":"token""#))
            #expect(!undrain.output.contains(token))
            let tokenFile = daemon.directory + "/admin-token"
            try (token + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
            let viaFile = try await Self.cli(["drain", "a", "--url", daemon.tcpURL, "--token-file", tokenFile])
            #expect(viaFile.status == 0, "\(viaFile.output)")
            let back = try await Self.cli(["undrain", "a", "--url", daemon.tcpURL, "--token-file", tokenFile])
            #expect(back.status == 0, "\(back.output)")

            let events = try await Self.cli(["events", "--limit", "50"] + socket)
            #expect(events.status == 0)
            #expect(events.output.contains("undrained by token") && events.output.contains("drained by uid:"), "\(events.output)")
            let history = try await Self.cli(["history", "--provider", "a", "--step", "1m"] + socket)
            #expect(history.status == 0)
            #expect(history.output.contains("START") && history.output.contains(" a "), "\(history.output)")
            let reload = try await Self.cli(["reload"] + socket)
            #expect(reload.status == 1)
            #expect(reload.output.contains("reload_refused"))

            // Daemon errors: 1, with the daemon's message.
            let unknown = try await Self.cli(["route", "nope"] + socket)
            #expect(unknown.status == 1)
            #expect(unknown.output.contains("404 unknown_model") && unknown.output.contains("configured: m"))
            let badStep = try await Self.cli(["history", "--step", "5m"] + socket)
            #expect(badStep.status == 1)
            #expect(badStep.output.contains("step:"))
        }
    }

    @Test func usageErrorsExitTwoAndAnAbsentDaemonExitsThree() async throws {
        let usage = try await Self.cli(["route"])
        #expect(usage.status == 2, "\(usage.output)")
        #expect(usage.output.contains("Missing expected argument"))
        let badOption = try await Self.cli(["events", "--limit", "many"])
        #expect(badOption.status == 2)

        try await withTemporaryDirectory { directory in
            let absent = try await Self.cli(["status", "--socket", directory + "/none.sock"])
            #expect(absent.status == 3)
            #expect(absent.output.contains("cannot reach switchyard at unix socket \(directory)/none.sock"))
            #expect(absent.output.contains("is the daemon running?"))
            let closedPort = try await Self.cli(["providers", "--url", "http://127.0.0.1:\(unusedLoopbackPort())"])
            #expect(closedPort.status == 3)
        }
    }
}
