/// One client's gateway limits (`clients[].rate` and `clients[].budget`); nil parts are unlimited.
public struct ClientLimits: Hashable, Sendable {
    /// Requests per minute; the bucket holds one minute's worth and refills continuously.
    public var requestsPerMinute: Int?
    /// USD the client's gateway traffic may spend per UTC day.
    public var usdPerDay: Double?

    public init(requestsPerMinute: Int? = nil, usdPerDay: Double? = nil) {
        self.requestsPerMinute = requestsPerMinute
        self.usdPerDay = usdPerDay
    }

    /// Whether there is nothing to enforce.
    public var isUnlimited: Bool { requestsPerMinute == nil && usdPerDay == nil }
}

/// What each configured client may still do through the gateway: a token bucket per client for
/// its request rate and the spend of the current UTC day against its budget.
///
/// A pure value: time comes in as a parameter, nothing is read or written elsewhere. The caller
/// passes the client's limits as the configuration has them now, so a reload that changes them
/// takes effect on the next request: the day's spend is kept and the bucket is resized (never
/// refilled by the change). Budget admission compares the spend already recorded, so requests
/// in flight together may pass the budget by their own cost; after that, nothing is admitted.
public struct ClientAllowance: Sendable {
    /// The answer to "may this client send one more request now?".
    public enum Admission: Equatable, Sendable {
        case allowed
        /// Over its rate: one request's worth comes back in `retryAfter` seconds.
        case rateLimited(retryAfter: Double)
        /// Today's budget is spent: `retryAfter` is the seconds to the next UTC midnight.
        case overBudget(retryAfter: Double)
    }

    struct Bucket: Sendable, Equatable {
        var perMinute: Int
        var tokens: Double
        var updatedAt: Timestamp

        /// Tokens refilled at this bucket's rate up to `now` (a clock going back refills nothing).
        mutating func refill(to now: Timestamp) {
            let elapsed = max(0, now - updatedAt)
            tokens = min(Double(perMinute), tokens + elapsed * Double(perMinute) / 60)
            updatedAt = max(updatedAt, now)
        }
    }

    struct DaySpend: Sendable, Equatable {
        var day: Int64
        var usd: Double
    }

    private var buckets: [String: Bucket] = [:]
    private var spending: [String: DaySpend] = [:]

    public init() {}

    /// The UTC day number of `instant` (days since 1970-01-01).
    public static func utcDay(_ instant: Timestamp) -> Int64 {
        Int64((instant.secondsSinceEpoch / 86_400).rounded(.down))
    }

    /// Seconds from `instant` to the next UTC midnight.
    public static func secondsToMidnight(_ instant: Timestamp) -> Double {
        Double(utcDay(instant) + 1) * 86_400 - instant.secondsSinceEpoch
    }

    /// Admits one request of `client` under `limits` at `now`, taking one token of its bucket when
    /// allowed. A client over its budget is refused before its rate is looked at (and keeps its tokens).
    public mutating func admit(_ client: String, limits: ClientLimits, now: Timestamp) -> Admission {
        if let budget = limits.usdPerDay, spent(client, now: now) >= budget {
            return .overBudget(retryAfter: Self.secondsToMidnight(now))
        }
        guard let perMinute = limits.requestsPerMinute else {
            buckets[client] = nil
            return .allowed
        }
        var bucket = buckets[client] ?? Bucket(perMinute: perMinute, tokens: Double(perMinute), updatedAt: now)
        bucket.refill(to: now)
        if bucket.perMinute != perMinute {
            // A reload changed the rate: keep what is left, within the new size.
            bucket.perMinute = perMinute
            bucket.tokens = min(bucket.tokens, Double(perMinute))
        }
        defer { buckets[client] = bucket }
        guard bucket.tokens >= 1 else {
            return .rateLimited(retryAfter: (1 - bucket.tokens) * 60 / Double(perMinute))
        }
        bucket.tokens -= 1
        return .allowed
    }

    /// Adds `usd` (one answered attempt's cost) to `client`'s spend of the UTC day of `now`.
    public mutating func spend(_ client: String, usd: Double, now: Timestamp) {
        guard usd > 0, usd.isFinite else { return }
        let day = Self.utcDay(now)
        var current = spending[client] ?? DaySpend(day: day, usd: 0)
        if current.day < day { current = DaySpend(day: day, usd: 0) }
        // An attempt that started before midnight and is recorded after still counts (on the newer day).
        current.usd += usd
        spending[client] = current
    }

    /// Seeds `client`'s spend of the UTC day of `now` from storage at start-up, so a restart
    /// gives no budget back; never lowers what was already counted.
    public mutating func restore(_ client: String, usd: Double, now: Timestamp) {
        guard usd > 0, usd.isFinite else { return }
        let day = Self.utcDay(now)
        spending[client] = DaySpend(day: day, usd: max(usd, spent(client, now: now)))
    }

    /// Every client that has spent something on the UTC day of `now`, with what it spent.
    public func spentToday(now: Timestamp) -> [String: Double] {
        let today = Self.utcDay(now)
        return spending.compactMapValues { $0.day >= today && $0.usd > 0 ? $0.usd : nil }
    }

    /// What `client` has spent on the UTC day of `now` (0 once the day has rolled over).
    public func spent(_ client: String, now: Timestamp) -> Double {
        guard let current = spending[client], current.day >= Self.utcDay(now) else { return 0 }
        return current.usd
    }
}
