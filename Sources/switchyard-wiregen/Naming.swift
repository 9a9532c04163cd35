/// Swift names for JSON names: `upstream_model` → `upstreamModel`, `base_url` → `baseURL`,
/// `rate_limited` → case `rateLimited`.
enum Naming {
    /// Word parts spelled in capitals, as the rest of the code base spells them.
    static let acronyms: Set<String> = ["url", "usd", "id"]
    static let keywords: Set<String> = ["default", "in", "class", "struct", "enum", "func", "var", "let", "return", "case",
                                        "switch", "if", "else", "for", "while", "repeat", "import", "protocol", "extension",
                                        "is", "as", "init", "self", "Self", "nil", "true", "false", "operator", "where"]

    static func propertyName(_ json: String) -> String {
        let words = json.split(whereSeparator: { $0 == "_" || $0 == "-" }).map(String.init)
        guard let first = words.first else { return "_" }
        return first + words.dropFirst().map(capitalized).joined()
    }

    static func typeName(_ json: String) -> String {
        json.split(whereSeparator: { $0 == "_" || $0 == "-" }).map { capitalized(String($0)) }.joined()
    }

    static func caseName(_ value: String) -> String {
        let name = propertyName(value)
        return name.first.map { $0.isLetter || $0 == "_" } == true ? name : "_" + name
    }

    static func escaped(_ name: String) -> String { keywords.contains(name) ? "`\(name)`" : name }

    /// A Swift string literal of `text`.
    static func literal(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private static func capitalized(_ word: String) -> String {
        acronyms.contains(word) ? word.uppercased() : word.prefix(1).uppercased() + word.dropFirst()
    }
}
