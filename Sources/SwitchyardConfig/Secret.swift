import Foundation

/// A credential value. It prints, logs, encodes and reflects as `<secret>`; only
/// `exposedValue` gives the text, for the one place that sends it to a provider.
public struct Secret: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable, Encodable {
    private let value: String

    public init(_ value: String) { self.value = value }

    /// The raw credential. Call only where it leaves the process as a header.
    public var exposedValue: String { value }

    public var description: String { "<secret>" }
    public var debugDescription: String { "<secret>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode("<secret>")
    }
}

/// Where a provider's API key comes from. Keys are never written inline in the config.
public enum SecretReference: Hashable, Sendable, CustomStringConvertible {
    /// An environment variable, e.g. `HF_TOKEN`.
    case environment(String)
    /// A file whose content (without trailing newline) is the key.
    case file(String)
    /// A systemd credential: `$CREDENTIALS_DIRECTORY/NAME` (`LoadCredential=`).
    case credential(String)

    /// The config line that names a provider key, e.g. `api_key_env: HF_TOKEN`.
    public var description: String { configLine(prefix: "api_key") }

    /// The config line that names it under `prefix` (`api_key` for providers, `token` for `admin:`).
    public func configLine(prefix: String) -> String {
        switch self {
        case .environment(let name): "\(prefix)_env: \(name)"
        case .file(let path): "\(prefix)_file: \(path)"
        case .credential(let name): "\(prefix)_credential: \(name)"
        }
    }
}

/// Why a secret could not be read. Messages name the source, never the value.
public struct SecretError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = SecretShape.redact(description) }
}

/// Reads secrets from the environment, files and systemd credentials.
public struct SecretResolver: Sendable {
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// The secret a reference names; `keyPrefix` is how the config spelled it (`api_key`, `token`), for the messages.
    public func resolve(_ reference: SecretReference, keyPrefix: String = "api_key") throws -> Secret {
        switch reference {
        case .environment(let name):
            guard let value = environment[name], !value.isEmpty else {
                throw SecretError(description: "environment variable \(name) (\(keyPrefix)_env) is not set")
            }
            return Secret(value)
        case .file(let path):
            return try readFile(path, what: "\(keyPrefix)_file")
        case .credential(let name):
            guard let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else {
                throw SecretError(description: "\(keyPrefix)_credential \(name) needs CREDENTIALS_DIRECTORY (set by systemd LoadCredential=)")
            }
            return try readFile(directory + "/" + name, what: "credential \(name)")
        }
    }

    private func readFile(_ path: String, what: String) throws -> Secret {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw SecretError(description: "cannot read \(what) at \(path)")
        }
        let value = text.trimmingCharacters(in: .newlines)
        guard !value.isEmpty else { throw SecretError(description: "\(what) at \(path) is empty") }
        return Secret(value)
    }
}
