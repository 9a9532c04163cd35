import Foundation
import Synchronization

/// Reads `Retry-After`: delta-seconds or an HTTP date (RFC 9110).
public enum RetryAfter {
    /// The longest wait believed: a provider's word holds a target back for a day at most.
    public static let maxSeconds: Double = 86_400

    /// Seconds from `now` the provider asked us to wait (at most `maxSeconds`), or nil when
    /// absent or unreadable. Delta-seconds are digits only (RFC 9110 §10.2.3): `inf`, `1e300`,
    /// `nan`, `-5` or `1.5` are unreadable.
    public static func seconds(_ headers: [String: String], now: Timestamp) -> Double? {
        guard let value = headers["retry-after"]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if value.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
            return min(Double(value) ?? maxSeconds, maxSeconds)
        }
        guard let date = httpDate.withLock({ $0.date(from: value) }) else { return nil }
        let wait = date.timeIntervalSince1970 - now.secondsSinceEpoch
        return wait.isFinite ? min(max(0, wait), maxSeconds) : nil
    }

    private static let httpDate: Mutex<DateFormatter> = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return Mutex(formatter)
    }()
}
