/// The answers to recent requests that carried an idempotency key, per caller, so a retried
/// request gets the first answer instead of being applied twice. Bounded in count and age;
/// time comes in as a parameter.
public struct RecentAnswers<Answer: Sendable>: Sendable {
    /// Who asked and under which key.
    public struct Key: Hashable, Sendable {
        public var caller: String
        public var id: String

        public init(caller: String, id: String) {
            self.caller = caller
            self.id = id
        }
    }

    /// The most answers kept; beyond it the oldest are forgotten.
    public let capacity: Int
    /// How long an answer is kept, in seconds.
    public let lifetimeSeconds: Double
    private var answers: [Key: (answer: Answer, at: Timestamp)] = [:]
    /// Keys in the order they were remembered, for forgetting the oldest first.
    private var order: [Key] = []
    private var head = 0

    public init(capacity: Int = 4096, lifetimeSeconds: Double = 600) {
        self.capacity = capacity
        self.lifetimeSeconds = lifetimeSeconds
    }

    /// How many answers are kept now.
    public var count: Int { answers.count }

    /// The answer remembered for `key`, unless it is older than the lifetime at `now`.
    public mutating func answer(for key: Key, now: Timestamp) -> Answer? {
        forgetExpired(now: now)
        return answers[key]?.answer
    }

    /// Remembers `answer` for `key` from `now` on.
    public mutating func remember(_ answer: Answer, for key: Key, at now: Timestamp) {
        forgetExpired(now: now)
        if answers.updateValue((answer, now), forKey: key) == nil { order.append(key) }
        while answers.count > capacity { forgetOldest() }
    }

    private mutating func forgetExpired(now: Timestamp) {
        while head < order.count, let entry = answers[order[head]], entry.at + lifetimeSeconds <= now { forgetOldest() }
    }

    private mutating func forgetOldest() {
        guard head < order.count else { return }
        answers[order[head]] = nil
        head += 1
        if head > 1024, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
