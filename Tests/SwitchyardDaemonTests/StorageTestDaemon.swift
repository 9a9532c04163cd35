import Foundation
import SwitchyardConfig
import SwitchyardDaemon
import SwitchyardSimulator
import Testing

/// Runs a daemon probing one simulated provider (`up`, model `m`) every `interval` until `body`
/// returns; `body` starts once the store holds `observations` rows. For the storage fault tests.
func withStorageDaemon(stateDir: String, socket: String, interval: String, busyTimeout: String = "5s", observations: Int,
                       _ body: @escaping @Sendable (Daemon, LogCapture) async throws -> Void) async throws {
    let fleet = SimulatorFleet([ProviderSimulator(name: "up", behavior: SimulatorBehavior(models: ["m"], latencyMs: 2))])
    try await fleet.withRunning { ports in
        let config = try ConfigLoader.parse(yaml: """
            listen: { tcp: "", unix: "\(socket)" }
            probe: { interval: \(interval), timeout: 1s, connect_timeout: 500ms }
            storage: { busy_timeout: \(busyTimeout) }
            providers:
              - { name: up, kind: openai, base_url: "http://127.0.0.1:\(ports["up"]!)/v1", models: [{ name: m }] }
            """, file: "storage.yaml")
        let logs = LogCapture()
        let daemon = try buildServiceGroup(config: config, options: DaemonOptions(stateDirOverride: stateDir, shutdownSignals: [], logger: logs.logger()))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await daemon.run() }
            #expect(try await eventuallyOffPool(within: 20) { (try daemon.store.observationCount()) >= observations })
            try await body(daemon, logs)
            await daemon.serviceGroup.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}

/// Writes zeros to `path` until the file system refuses.
func fillDisk(_ path: String) {
    guard let file = fopen(path, "w") else { return }
    defer { fclose(file) }
    let chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while fwrite(chunk, 1, chunk.count, file) == chunk.count, fflush(file) == 0 {}
}
