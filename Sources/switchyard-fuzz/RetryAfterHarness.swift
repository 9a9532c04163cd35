import SwitchyardCore

/// A provider's `Retry-After` value: the wait believed is none, or 0 through
/// `RetryAfter.maxSeconds`, and the instant it gives formats (RFC 3339, time of day, as
/// `/v1/providers` and the events say it) without trapping, whatever the clock reads.
enum RetryAfterHarness {
    private static let clocks = [0, 1_800_000_000, 4_102_444_800].map { Timestamp(secondsSinceEpoch: $0) }

    static func run(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        for now in clocks {
            guard let seconds = RetryAfter.seconds(["retry-after": text], now: now) else { continue }
            require(seconds.isFinite && seconds >= 0 && seconds <= RetryAfter.maxSeconds, "'\(text)' believed as \(seconds) s")
            let until = now + seconds
            require(!until.rfc3339.isEmpty && !until.timeOfDay.isEmpty, "'\(text)' gave an instant that does not format")
        }
    }
}
