/// Reads `Retry-After`: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
public enum RetryAfter {
    /// The longest wait believed: a provider's word holds a target back for a day at most.
    public static let maxSeconds: Double = 86_400

    /// Seconds from `now` the provider asked us to wait (at most `maxSeconds`), or nil when
    /// absent or unreadable. Delta-seconds are digits only: `inf`, `1e300`, `nan`, `-5` or
    /// `1.5` are unreadable. A date in the past is no wait.
    public static func seconds(_ headers: [String: String], now: Timestamp) -> Double? {
        let isBlank = { (character: Character) in character == " " || character == "\t" }
        guard let raw = headers["retry-after"], let first = raw.firstIndex(where: { !isBlank($0) }),
              let last = raw.lastIndex(where: { !isBlank($0) }) else { return nil }
        let value = String(raw[first...last])
        if value.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
            return min(Double(value) ?? maxSeconds, maxSeconds)
        }
        guard let date = HTTPDate.parse(value) else { return nil }
        return min(max(0, date - now), maxSeconds)
    }
}

/// HTTP dates (RFC 9110 §5.6.7): the IMF-fixdate every server sends today
/// (`Sun, 06 Nov 1994 08:49:37 GMT`), and the two obsolete forms a recipient must still read,
/// RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`).
/// Plain code over the bytes: no Foundation formatter (a lock, and leaks found by the fuzzer).
public enum HTTPDate {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public static func parse(_ text: String) -> Timestamp? {
        let words = text.split(separator: " ", omittingEmptySubsequences: true)
        switch words.count {
        case 6 where words[0].hasSuffix(",") && words[5] == "GMT":  // IMF-fixdate
            return make(year: number(words[3], digits: 4), month: month(words[2]), day: number(words[1], digits: 2), time: words[4])
        case 4 where words[0].hasSuffix(",") && words[3] == "GMT":  // RFC 850: DD-Mon-YY
            let parts = words[1].split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 3, let year = number(parts[2], digits: 2) else { return nil }
            // Two-digit years: the century that puts the date nearest to now (RFC 9110 says no
            // more than 50 years ahead); Retry-After is about now, so 1970–2069.
            return make(year: year < 70 ? 2000 + year : 1900 + year, month: month(parts[1]), day: number(parts[0], digits: 2), time: words[2])
        case 5:  // asctime: Mon DD HH:MM:SS YYYY, the day padded with a space
            return make(year: number(words[4], digits: 4), month: month(words[1]), day: number(words[2], digits: 1...2), time: words[3])
        default:
            return nil
        }
    }

    private static func make(year: Int64?, month: Int64?, day: Int64?, time: Substring) -> Timestamp? {
        let clock = time.split(separator: ":", omittingEmptySubsequences: false)
        guard let year, let month, let day, (1...31).contains(day), clock.count == 3,
              let hour = number(clock[0], digits: 2), let minute = number(clock[1], digits: 2), let second = number(clock[2], digits: 2),
              hour < 24, minute < 60, second < 61 else { return nil }
        let days = Timestamp.daysSinceEpoch(year: year, month: month, day: day)
        return Timestamp(secondsSinceEpoch: Double(days * 86_400 + hour * 3600 + minute * 60 + second))
    }

    private static func month(_ name: Substring) -> Int64? {
        months.firstIndex { $0 == name }.map { Int64($0 + 1) }
    }

    private static func number(_ text: Substring, digits: Int) -> Int64? { number(text, digits: digits...digits) }

    private static func number(_ text: Substring, digits: ClosedRange<Int>) -> Int64? {
        guard digits.contains(text.utf8.count), text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        return Int64(text)
    }
}
