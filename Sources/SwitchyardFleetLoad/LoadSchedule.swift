/// When a simulated host's work falls due: `count` items every `intervalSeconds`, spread evenly
/// (item `i` at phase `offset + interval * i / count`, repeating), the way a probe scheduler
/// spreads its targets. A value: the driver asks which items fall in each tick's window.
public struct LoadSchedule: Sendable, Equatable {
    public var count: Int
    public var intervalSeconds: Double
    /// Shifts every phase (hosts do not start in step); taken modulo the interval.
    public var offsetSeconds: Double

    public init(count: Int, intervalSeconds: Double, offsetSeconds: Double = 0) {
        self.count = count
        self.intervalSeconds = intervalSeconds
        self.offsetSeconds = offsetSeconds
    }

    /// The items due in `[from, to)` (seconds since the run started), in order of time; an item
    /// is listed once per interval it falls in, so consecutive windows never miss or repeat one.
    public func due(from: Double, to: Double) -> [Int] {
        guard count > 0, intervalSeconds > 0, to > from else { return [] }
        let step = intervalSeconds / Double(count)
        let shift = offsetSeconds.truncatingRemainder(dividingBy: intervalSeconds)
        // Occurrence k (any integer: the pattern repeats before the shift too) is at shift + k * step; item k mod count.
        let first = Int(((from - shift) / step).rounded(.up))
        let end = Int(((to - shift) / step).rounded(.up))
        guard end > first else { return [] }
        return (first..<end).map { (($0 % count) + count) % count }
    }

    /// Events per second this schedule makes.
    public var ratePerSecond: Double { intervalSeconds > 0 ? Double(count) / intervalSeconds : 0 }
}
