import SwitchyardConfig

/// YAML text → a `Configuration`, or a `ConfigError` pinned to a place inside the text.
/// A configuration that loads renders (as `check-config` prints it) to YAML that loads again to the same.
enum ConfigHarness {
    static func run(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        // YAML ends a line at \n, \r\n and a lone \r alike (Swift's Character makes \r\n one).
        let lineCount = 1 + text.reduce(0) { $0 + ($1 == "\n" || $1 == "\r" || $1 == "\r\n" ? 1 : 0) }
        do {
            let config = try ConfigLoader.parse(yaml: text, file: "fuzz.yaml")
            let rendered = ConfigRenderer.render(config)
            let again: Configuration
            do {
                again = try ConfigLoader.parse(yaml: rendered, file: "fuzz.yaml")
            } catch {
                fatalError("invariant broken: the rendered configuration does not load: \(error)\n\(rendered)")
            }
            require(again == config, "the rendered configuration loads to a different one:\n\(rendered)")
        } catch let error as ConfigError {
            require(error.file == "fuzz.yaml", "the error names another file: \(error)")
            require(error.line >= 1 && error.line <= lineCount + 1, "the error's line is outside the text (\(lineCount) lines): \(error)")
            require(error.column >= 1, "the error's column is not positive: \(error)")
            require(!error.message.isEmpty, "the error says nothing: \(error)")
        } catch {
            fatalError("invariant broken: an error without file:line:column: \(error)")
        }
    }
}
