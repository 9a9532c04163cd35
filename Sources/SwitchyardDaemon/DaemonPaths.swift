import Foundation
import SwitchyardConfig

/// Where the daemon keeps its database and socket, following DESIGN.md:
/// an explicit setting first, then systemd's directories, then the FHS defaults.
public struct DaemonPaths: Sendable, Hashable {
    public var stateDirectory: String
    public var databasePath: String { stateDirectory + "/switchyard.db" }

    public static func resolve(config: Configuration, stateDirOverride: String?, environment: [String: String]) -> DaemonPaths {
        let state = stateDirOverride ?? config.stateDir ?? firstPath(environment["STATE_DIRECTORY"]) ?? "/var/lib/switchyard"
        return DaemonPaths(stateDirectory: state)
    }

    /// systemd passes several directories separated by ':' when a unit lists several.
    private static func firstPath(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value.split(separator: ":").first.map(String.init)
    }
}

extension DaemonPaths {
    /// Creates the state directory (and its parents) if missing.
    func createStateDirectory() throws {
        do {
            try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        } catch {
            throw StartupError(description: "cannot create the state directory \(stateDirectory): \(error.localizedDescription)")
        }
    }
}
