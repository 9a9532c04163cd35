import Foundation
import Yams

/// A position in a parsed YAML document that turns every type or key mistake into a
/// `ConfigError` at the node's line and column.
struct YAMLCursor {
    let node: Node
    let file: String
    /// The dotted path of this node, for messages: `providers[1].models[0].upstream`.
    let path: String

    func error(_ message: String) -> ConfigError {
        let mark = node.mark
        return ConfigError(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, message: message)
    }

    var isNull: Bool {
        if case .scalar(let scalar) = node { return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string) }
        return false
    }

    func string() throws -> String {
        guard case .scalar(let scalar) = node else { throw error("\(path) must be a string") }
        return scalar.string
    }

    func nonEmptyString() throws -> String {
        let value = try string()
        guard !value.trimmingCharacters(in: .whitespaces).isEmpty else { throw error("\(path) must not be empty") }
        return value
    }

    func double() throws -> Double {
        guard case .scalar(let scalar) = node, scalar.style == .plain, let value = Double(scalar.string), value.isFinite else {
            throw error("\(path) must be a number")
        }
        return value
    }

    func nonNegativeDouble() throws -> Double {
        let value = try double()
        guard value >= 0 else { throw error("\(path) must not be negative") }
        return value
    }

    /// A share written `10%` or `0.1`, between 0 and 1.
    func fraction() throws -> Double {
        let text = try string().trimmingCharacters(in: .whitespaces)
        let value = text.hasSuffix("%") ? Double(text.dropLast()).map { $0 / 100 } : Double(text)
        guard let value, value.isFinite, (0...1).contains(value) else {
            throw error("\(path): '\(text)' is not a share between 0 and 1 (e.g. 10% or 0.1)")
        }
        return value
    }

    /// `true` or `false` (plain, unquoted).
    func bool() throws -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain, ["true", "false"].contains(scalar.string) else {
            throw error("\(path) must be true or false")
        }
        return scalar.string == "true"
    }

    func positiveInt() throws -> Int {
        guard case .scalar(let scalar) = node, scalar.style == .plain, let value = Int(scalar.string) else {
            throw error("\(path) must be a whole number")
        }
        guard value > 0 else { throw error("\(path) must be greater than 0") }
        return value
    }

    /// A duration such as `15s`, `250ms`, `2m`, `1h` or `1m30s`, in seconds; must be positive.
    func duration() throws -> Double {
        let text = try string()
        guard let seconds = DurationText.parse(text) else {
            throw error("\(path): '\(text)' is not a duration (use e.g. 500ms, 15s, 2m, 1h)")
        }
        guard seconds > 0 else { throw error("\(path) must be greater than 0") }
        return seconds
    }

    func sequence() throws -> [YAMLCursor] {
        guard case .sequence(let sequence) = node else { throw error("\(path) must be a list") }
        return sequence.enumerated().map { index, item in YAMLCursor(node: item, file: file, path: "\(path)[\(index)]") }
    }

    func mapping(allowedKeys: Set<String>) throws -> YAMLMapping {
        guard case .mapping(let mapping) = node else { throw error("\(path) must be a mapping") }
        var entries: [String: (key: Node, value: Node)] = [:]
        for (key, value) in mapping {
            let keyCursor = YAMLCursor(node: key, file: file, path: path)
            guard case .scalar(let scalar) = key else { throw keyCursor.error("keys of \(path) must be strings") }
            let name = scalar.string
            guard allowedKeys.contains(name) else {
                let known = allowedKeys.sorted().joined(separator: ", ")
                throw keyCursor.error("unknown key '\(name)' in \(path.isEmpty ? "the top level" : path) (known keys: \(known))")
            }
            guard entries[name] == nil else { throw keyCursor.error("duplicate key '\(name)' in \(path.isEmpty ? "the top level" : path)") }
            entries[name] = (key, value)
        }
        return YAMLMapping(cursor: self, entries: entries)
    }
}

/// A mapping whose keys were checked against the allowed set.
struct YAMLMapping {
    let cursor: YAMLCursor
    let entries: [String: (key: Node, value: Node)]

    func has(_ key: String) -> Bool { entries[key] != nil }

    /// The value at `key`, or nil when absent or null.
    func optional(_ key: String) -> YAMLCursor? {
        guard let entry = entries[key] else { return nil }
        let child = YAMLCursor(node: entry.value, file: cursor.file, path: cursor.path.isEmpty ? key : "\(cursor.path).\(key)")
        return child.isNull ? nil : child
    }

    func required(_ key: String) throws -> YAMLCursor {
        guard let value = optional(key) else { throw cursor.error("\(cursor.path.isEmpty ? "the config" : cursor.path) is missing required key '\(key)'") }
        return value
    }

    /// The cursor at a key itself (not its value), for errors about the key.
    func keyCursor(_ key: String) -> YAMLCursor? {
        entries[key].map { YAMLCursor(node: $0.key, file: cursor.file, path: key) }
    }
}

/// Parses durations written as one or more `<number><unit>` parts: ms, s, m, h, d.
enum DurationText {
    static func parse(_ text: String) -> Double? {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        guard !rest.isEmpty else { return nil }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unit.count)
            switch unit {
            case "ms": total += value / 1000
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            case "d": total += value * 86_400
            default: return nil
            }
        }
        return total
    }

    /// The shortest exact text for a duration: `15s`, `250ms`, `2m`.
    static func format(_ seconds: Double) -> String {
        if seconds >= 86_400, seconds.truncatingRemainder(dividingBy: 86_400) == 0 { return "\(Int(seconds / 86_400))d" }
        if seconds >= 3600, seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(seconds / 3600))h" }
        if seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60))m" }
        if seconds.truncatingRemainder(dividingBy: 1) == 0 { return "\(Int(seconds))s" }
        return "\(Int((seconds * 1000).rounded()))ms"
    }
}
