/// A configuration error pinned to its place: prints as `file:line:column: message`.
public struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        // Whatever value a message quotes, a key pasted into the config never comes back out.
        self.message = SecretShape.containsSecret(message)
            ? SecretShape.redact(message) + " (a value that looks like a key or token is shown as <secret>; keys belong in an environment variable, a file or a systemd credential, named by *_env / *_file / *_credential)"
            : message
    }

    public var description: String { "\(file):\(line):\(column): \(message)" }
}
