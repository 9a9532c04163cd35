import Foundation
import SwitchyardConfig
import SwitchyardCore
import SwitchyardDaemon
import SwitchyardStore
import Testing

/// `switchyard history` follows the daemon's pages: 12 hours of minutes for 120 targets is two
/// pages (69 targets of 721 buckets fit under 50,000), and the command prints every target once,
/// as one JSON document or one table. (About 45 s in a debug build on a busy machine; ThreadSanitizer makes it
/// several times slower, hence the limit.)
@Suite(.serialized, .timeLimit(.minutes(10))) struct HistoryCLITests {
    @Test func historyFollowsEveryPage() async throws {
        try await withTemporaryDirectory { directory in
            let state = "\(directory)/state"
            try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
            var settings = StoreLoadGenerator.Settings()
            settings.targets = 120
            settings.days = 1
            settings.probeIntervalSeconds = 60
            settings.sampleIntervalDays = 1
            do { _ = try StoreLoadGenerator(settings: settings).run(into: try SQLiteStore(path: "\(state)/switchyard.db")) }
            // The generator's fleet: target i is provider-(i % 50) / model-(i / 50).
            var yaml = """
                listen: { tcp: "", unix: "\(directory)/switchyard.sock" }
                probe: { interval: 1h, timeout: 1s, connect_timeout: 500ms, mode: liveness }
                providers:

                """
            for provider in 0..<50 {
                let models = (0..<3).filter { $0 * 50 + provider < settings.targets }.map { "{ name: model-\($0) }" }
                yaml += "  - { name: provider-\(provider), kind: openai, base_url: \"http://127.0.0.1:9/v1\", models: [\(models.joined(separator: ", "))] }\n"
            }
            let config = try ConfigLoader.parse(yaml: yaml, file: "history-cli.yaml")
            let daemon = try buildServiceGroup(config: config, options: DaemonOptions(stateDirOverride: state, shutdownSignals: [], logger: LogCapture().logger()))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await daemon.run() }
                let socket = "\(directory)/switchyard.sock"
                #expect(try await eventuallyOffPool(within: 20) { FileManager.default.fileExists(atPath: socket) })
                let range = ["--since", "\(Int(settings.start.secondsSinceEpoch))", "--until", "\(Int(settings.start.secondsSinceEpoch) + 43_200)",
                             "--step", "1m", "--socket", socket]
                let json = try await CLIClientTests.cli(["history", "--json"] + range)
                #expect(json.status == 0, "\(json.output.suffix(400))")
                let answer = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
                let series = try #require(answer["series"] as? [[String: Any]])
                let names = series.map { "\($0["provider"] as? String ?? "")/\($0["model"] as? String ?? "")" }
                #expect(names.count == 120 && Set(names).count == 120, "\(names.count) series, \(Set(names).count) distinct: pages were not followed")
                #expect(answer["next"] == nil)

                let table = try await CLIClientTests.cli(["history"] + range)
                #expect(table.status == 0)
                let lines = table.output.split(separator: "\n")
                #expect(lines.filter { $0.hasPrefix("START ") }.count == 1, "the table header is repeated per page")
                let providersSeen = Set(lines.dropFirst(2).compactMap { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first })
                #expect(providersSeen.count == 50, "\(providersSeen.count) providers in the table")
                await daemon.serviceGroup.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
