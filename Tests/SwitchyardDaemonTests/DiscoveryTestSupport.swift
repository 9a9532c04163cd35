import Foundation
import SwitchyardClient
import SwitchyardConfig
import SwitchyardCore
import SwitchyardDaemon
import SwitchyardSimulator
import SwitchyardTestSupport

/// A daemon built from `yaml` in `directory`, with catalog refreshes on `clock`, run while `body` runs.
func withDiscoveryDaemon(
    yaml: String, directory: String, clock: ManualClock, environment: [String: String] = [:], logs: LogCapture = LogCapture(),
    _ body: @Sendable (Daemon, DaemonConnection) async throws -> Void
) async throws {
    let path = directory + "/switchyard.yaml"
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    var options = DaemonOptions(stateDirOverride: directory, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
                                shutdownSignals: [], logger: logs.logger(), reloadConfiguration: { try ConfigLoader.load(path: path) },
                                reloadOnHangup: false)
    options.discoveryClock = clock
    let daemon = try buildServiceGroup(config: try ConfigLoader.load(path: path), options: options)
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await daemon.run() }
        do {
            try await body(daemon, DaemonConnection(endpoint: .unixSocket(directory + "/switchyard.sock")))
        } catch {
            await daemon.serviceGroup.triggerGracefulShutdown()
            throw error
        }
        await daemon.serviceGroup.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}

extension Daemon {
    /// The targets the health book knows now, by `provider/model`.
    var targetNames: Set<String> { Set(healthBook.snapshots().map(\.descriptor.target.description)) }

    /// The descriptor of one target, by `provider/model`.
    func descriptor(_ name: String) -> TargetDescriptor? {
        healthBook.snapshots().first { $0.descriptor.target.description == name }?.descriptor
    }
}

extension DaemonConnection {
    /// A GET whose answer is read as text.
    func text(_ path: String) async throws -> String { String(decoding: try await get(path), as: UTF8.self) }
}
