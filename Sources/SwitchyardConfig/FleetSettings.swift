import Foundation

/// The opt-in `fleet:` section: hosts of one group share what they learn through PostgreSQL.
/// Without it the daemon opens no connection and starts nothing new.
public struct FleetSettings: Hashable, Sendable {
    /// Where the PostgreSQL URL comes from (`postgres: {url_env | url_file | url_credential}`); never inline.
    public var postgres: SecretReference
    /// This host's name in the fleet (`host:`); default: the machine's host name.
    public var host: String
    /// Hosts that share evidence (`group:`); default `default`.
    public var group: String
    /// How much one remote observation weighs against a local one (`remote_weight:`), 0...1; default 1.
    public var remoteWeight: Double
    /// How long shared rows are kept on PostgreSQL (`retention:`), in seconds; default 1 h.
    public var retentionSeconds: Double

    /// The group every host joins unless told otherwise.
    public static let defaultGroup = "default"

    public init(postgres: SecretReference, host: String = FleetSettings.localHostName, group: String = FleetSettings.defaultGroup,
                remoteWeight: Double = 1, retentionSeconds: Double = 3600) {
        self.postgres = postgres
        self.host = host
        self.group = group
        self.remoteWeight = remoteWeight
        self.retentionSeconds = retentionSeconds
    }

    /// The machine's host name, the default `host:`.
    public static var localHostName: String {
        let name = ProcessInfo.processInfo.hostName
        return name.isEmpty ? "localhost" : name
    }
}
