import Foundation

/// Recognises text that looks like a credential (`hf_…`, `sk-…`, a long random string), so
/// that config errors, `check-config` and reload messages never echo one, wherever it was pasted.
public enum SecretShape {
    /// What a redacted value prints as.
    public static let placeholder = "<secret>"

    /// Whether `word` (a run of letters, digits, `_` and `-`) looks like a key or token.
    public static func looksLikeSecret(_ word: some StringProtocol) -> Bool {
        let text = String(word)
        for prefix in ["hf_", "sk-"] where text.hasPrefix(prefix) {
            let rest = text.dropFirst(prefix.count)
            if rest.count >= 20, rest.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) { return true }
        }
        guard text.count >= 32 else { return false }
        let hasLower = text.contains { $0.isASCII && $0.isLowercase }
        let hasUpper = text.contains { $0.isASCII && $0.isUppercase }
        let hasDigit = text.contains { $0.isASCII && $0.isNumber }
        return hasLower && hasUpper && hasDigit && entropyBitsPerCharacter(text) >= 4
    }

    /// Whether any word of `text` looks like a key or token.
    public static func containsSecret(_ text: String) -> Bool {
        words(of: text).contains { looksLikeSecret(text[$0]) }
    }

    /// `text` with every word that looks like a key or token replaced by `<secret>`.
    public static func redact(_ text: String) -> String {
        let ranges = words(of: text).filter { looksLikeSecret(text[$0]) }
        guard !ranges.isEmpty else { return text }
        var result = text
        for range in ranges.reversed() { result.replaceSubrange(range, with: placeholder) }
        return result
    }

    /// The maximal runs of letters, digits, `_` and `-`.
    private static func words(of text: String) -> [Range<String.Index>] {
        var ranges: [Range<String.Index>] = []
        var start: String.Index?
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let inWord = character.isASCII && (character.isLetter || character.isNumber || character == "_" || character == "-")
            if inWord, start == nil { start = index }
            if !inWord, let begin = start {
                ranges.append(begin..<index)
                start = nil
            }
            index = text.index(after: index)
        }
        if let begin = start { ranges.append(begin..<text.endIndex) }
        return ranges
    }

    /// Shannon entropy of the characters of `text`, in bits per character.
    private static func entropyBitsPerCharacter(_ text: String) -> Double {
        var counts: [Character: Int] = [:]
        for character in text { counts[character, default: 0] += 1 }
        let total = Double(text.count)
        return counts.values.reduce(0) { sum, count in
            let share = Double(count) / total
            return sum - share * log2(share)
        }
    }
}
