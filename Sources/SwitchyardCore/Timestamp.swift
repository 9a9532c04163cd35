#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A wall-clock instant in seconds since the Unix epoch. Core logic receives it as a parameter.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var secondsSinceEpoch: Double
    public init(secondsSinceEpoch: Double) { self.secondsSinceEpoch = secondsSinceEpoch }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.secondsSinceEpoch < rhs.secondsSinceEpoch }
    public static func + (lhs: Timestamp, seconds: Double) -> Timestamp { Timestamp(secondsSinceEpoch: lhs.secondsSinceEpoch + seconds) }
    public static func - (lhs: Timestamp, rhs: Timestamp) -> Double { lhs.secondsSinceEpoch - rhs.secondsSinceEpoch }

    /// RFC 3339 in UTC with millisecond precision, e.g. `2026-11-29T08:28:11.123Z`.
    public var rfc3339: String { format(withMilliseconds: true) }
    /// RFC 3339 time of day in UTC for human reasons, e.g. `12:04:05Z`.
    public var timeOfDay: String {
        let s = Int64(secondsSinceEpoch.rounded(.down))
        let secondOfDay = ((s % 86_400) + 86_400) % 86_400
        return "\(pad2(secondOfDay / 3600)):\(pad2(secondOfDay / 60 % 60)):\(pad2(secondOfDay % 60))Z"
    }
    public var description: String { rfc3339 }

    private func format(withMilliseconds: Bool) -> String {
        let whole = secondsSinceEpoch.rounded(.down)
        let millis = Int64(((secondsSinceEpoch - whole) * 1000).rounded(.down))
        let s = Int64(whole)
        let days = s >= 0 ? s / 86_400 : (s - 86_399) / 86_400
        let secondOfDay = s - days * 86_400
        let (year, month, day) = Timestamp.civilDate(daysSinceEpoch: days)
        var text = "\(year)-\(pad2(month))-\(pad2(day))T\(pad2(secondOfDay / 3600)):\(pad2(secondOfDay / 60 % 60)):\(pad2(secondOfDay % 60))"
        if withMilliseconds {
            text += "." + String(String(millis + 1000).dropFirst())
        }
        return text + "Z"
    }

    /// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func civilDate(daysSinceEpoch: Int64) -> (Int64, Int64, Int64) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

private func pad2(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }

/// The source of "now" for everything that decides by time; tests pass a `ManualClock`.
public protocol WallClock: Sendable {
    func now() -> Timestamp
}

/// The real wall clock (CLOCK_REALTIME).
public struct SystemWallClock: WallClock {
    public init() {}
    public func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(secondsSinceEpoch: Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9)
    }
}
