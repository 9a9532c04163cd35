import Foundation
import Synchronization

/// Reads `Retry-After`: delta-seconds or an HTTP date (RFC 9110).
public enum RetryAfter {
    /// Seconds from `now` the provider asked us to wait, or nil when absent or unreadable.
    public static func seconds(_ headers: [String: String], now: Timestamp) -> Double? {
        guard let value = headers["retry-after"]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Double(value), seconds >= 0 { return seconds }
        guard let date = httpDate.withLock({ $0.date(from: value) }) else { return nil }
        return max(0, date.timeIntervalSince1970 - now.secondsSinceEpoch)
    }

    private static let httpDate: Mutex<DateFormatter> = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return Mutex(formatter)
    }()
}
