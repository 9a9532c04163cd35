import Foundation
import SwitchyardCore

/// Text for the status page: HTML escaping and compact numbers.
enum StatusFormat {
    /// `text` safe inside HTML element content and inside quoted attribute values.
    static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">")
            || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'") }) else { return text }
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count + 16)
        for character in text.unicodeScalars {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    /// `text` cut to `limit` characters, with an ellipsis when cut.
    static func truncate(_ text: String, to limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit)) + "…"
    }

    /// "4.2 ms", "180 ms", "1.25 s".
    static func milliseconds(_ value: Double) -> String {
        if value >= 1000 { return String(format: "%.2f s", value / 1000) }
        if value >= 10 { return "\(Int(saturating: value)) ms" }
        return String(format: "%.1f ms", value)
    }

    /// "99.2 %", "100 %".
    static func percent(_ rate: Double) -> String {
        let value = rate * 100
        if value >= 99.95 { return "100 %" }
        return String(format: "%.1f %%", value)
    }

    /// A USD amount with as many decimals as it needs, never in exponent form: "$0.18",
    /// "$0.0004", "$0.000034"; below a millionth of a cent, "<$0.00000001".
    static func usd(_ value: Double) -> String {
        if value == 0 { return "$0" }
        if value >= 0.01 { return String(format: "$%.2f", value) }
        guard value >= 1e-8 else { return "<$0.00000001" }
        // Two significant digits, then trailing zeros dropped.
        let decimals = Int(-log10(value).rounded(.down)) + 2
        var text = String(format: "%.*f", decimals, value)
        while text.hasSuffix("0") { text.removeLast() }
        return "$" + text
    }

    /// A price in one line: "$0.18 / $0.59 per Mtok" (input / output), "$0.001/request"; "—" when not configured.
    static func price(_ price: Price?) -> String {
        guard let price else { return "—" }
        var parts: [String] = []
        switch (price.inputPerMTok, price.outputPerMTok) {
        case (let input?, let output?): parts.append("\(usd(input)) / \(usd(output)) per Mtok")
        case (let input?, nil): parts.append("\(usd(input)) in per Mtok")
        case (nil, let output?): parts.append("\(usd(output)) out per Mtok")
        case (nil, nil): break
        }
        if let perRequest = price.perRequest { parts.append("\(usd(perRequest))/request") }
        if let perSecond = price.perSecond { parts.append("\(usd(perSecond))/s") }
        if let perImage = price.perImage { parts.append("\(usd(perImage))/image") }
        if let perAudioSecond = price.perAudioSecond { parts.append("\(usd(perAudioSecond))/audio s") }
        return parts.isEmpty ? "free" : parts.joined(separator: " + ")
    }

    /// How long ago, compactly: "42 s ago", "3 min ago", "2 h ago".
    static func age(_ at: Timestamp, now: Timestamp) -> String {
        let seconds = max(0, Int(saturating: now - at))
        if seconds < 120 { return "\(seconds) s ago" }
        if seconds < 7200 { return "\(seconds / 60) min ago" }
        if seconds < 172_800 { return "\(seconds / 3600) h ago" }
        return "\(seconds / 86_400) d ago"
    }
}
