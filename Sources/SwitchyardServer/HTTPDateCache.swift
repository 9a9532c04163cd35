import Foundation
import Synchronization

/// The `Date:` header value, formatted once per second.
final class HTTPDateCache: Sendable {
    /// One for the process: every listener stamps the same clock.
    static let shared = HTTPDateCache()

    private let cached = Mutex<(second: Int, text: String)>((-1, ""))

    func now() -> String {
        var clock = time(nil)
        return cached.withLock { cached in
            if cached.second != clock {
                var parts = tm()
                gmtime_r(&clock, &parts)
                var buffer = [Int8](repeating: 0, count: 64)
                let length = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
                cached = (clock, String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            return cached.text
        }
    }
}
