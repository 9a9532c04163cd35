import Foundation
import SwitchyardConfig
import SwitchyardCore
import SwitchyardDaemon
import SwitchyardServer
import SwitchyardSimulator
import SwitchyardStore
import Testing

/// A daemon that has stopped and been dropped frees its whole object graph (metrics, scheduler,
/// writer, SQLite store): a reference cycle here leaked every daemon a test built, and
/// LeakSanitizer failed `make test-sanitizers` on it (issue #17).
@Suite(.timeLimit(.minutes(2))) struct DaemonLifetimeTests {
    /// Weak references to the parts that were in the cycle.
    private final class Watch: @unchecked Sendable {
        weak var metrics: SwitchyardMetrics?
        weak var store: SQLiteStore?
        weak var writer: StoreWriter?
        weak var healthBook: HealthBook?
        var allGone: Bool { metrics == nil && store == nil && writer == nil && healthBook == nil }
    }

    @Test func aStoppedDaemonFreesItsMetricsStoreAndWriter() async throws {
        let fleet = SimulatorFleet([ProviderSimulator(name: "p", behavior: SimulatorBehavior(models: ["m"], latencyMs: 1))])
        let watch = Watch()
        try await withTemporaryDirectory { directory in
            try await fleet.withRunning { ports in
                let yaml = """
                    listen: { tcp: "", unix: "\(directory)/switchyard.sock" }
                    probe: { interval: 200ms, timeout: 2s }
                    providers:
                      - { name: p, kind: openai, base_url: "http://127.0.0.1:\(ports["p"]!)/v1", models: [{ name: m }] }
                    """
                let config = try ConfigLoader.parse(yaml: yaml, file: "lifetime.yaml")
                try await Self.runAndStop(config: config, directory: directory, watch: watch)
                // The service group's tasks may let go of their last references just after it returns.
                let freed = try await eventually(within: 10) { watch.allGone }
                #expect(freed, "still alive: metrics \(watch.metrics != nil), store \(watch.store != nil), writer \(watch.writer != nil), healthBook \(watch.healthBook != nil)")
            }
        }
    }

    /// Runs one daemon until its listener is up and its metrics were scraped once, then stops it;
    /// the `Daemon` value goes out of scope on return.
    private static func runAndStop(config: Configuration, directory: String, watch: Watch) async throws {
        let bound = Rendezvous<String>()
        let daemon = try buildServiceGroup(config: config, options: DaemonOptions(
            stateDirOverride: directory, listenerEvents: .init(unixBound: { bound.set($0) }), shutdownSignals: [], logger: LogCapture().logger()
        ))
        watch.metrics = daemon.metrics
        watch.store = daemon.store
        watch.writer = daemon.writer
        watch.healthBook = daemon.healthBook
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await daemon.run() }
            _ = await bound.value()
            #expect(!daemon.metrics.exposition().isEmpty)  // the scrape-time sources run
            await daemon.serviceGroup.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
