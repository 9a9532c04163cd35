/// How a simulated provider behaves right now. Switchable at run time over
/// `PUT /_sim/behavior` (any subset of the keys; the rest take their defaults), so a
/// test, the demo or a benchmark can inject a fault into one provider mid-run.
public struct SimulatorBehavior: Codable, Hashable, Sendable {
    /// A fault applied to every request, on top of the random error rate.
    public enum Fault: String, Codable, Hashable, Sendable, CaseIterable {
        case none
        /// Answer 500.
        case serverError = "server_error"
        /// Answer 429 with `Retry-After`.
        case rateLimited = "rate_limited"
        /// Answer 401.
        case unauthorized
        /// Never answer (not even the status line).
        case hang
        /// 200 with a body that is not JSON (or stream events that are not).
        case garbage
        /// 200 and half the stream events (half the body), then an event that is not JSON, then `[DONE]`.
        case garbageMidStream = "garbage_mid_stream"
        /// 200, then the body a few bytes at a time every `drip_interval_ms`.
        case slowDrip = "slow_drip"
        /// 200 and half the body (half the stream events), then silence forever.
        case stall
        /// 200 and half the body, then the connection is closed mid-body.
        case truncated
        /// 200 with `oversize_bytes` of padding before the real body.
        case oversized
        /// The connection is reset (RST) before any byte of the answer.
        case reset
    }

    /// Models this provider serves (ids as the provider knows them). A request for
    /// `id:suffix` (Hugging Face router style) is served when `id` is listed.
    public var models: [String]
    /// Time to the response head, in milliseconds, plus up to `jitterMs` (uniform).
    public var latencyMs: Double
    public var jitterMs: Double
    /// A long tail: this fraction of requests takes `tailMs` more (p99 spikes, cold starts).
    public var tailProbability: Double
    public var tailMs: Double
    /// Probability that a request fails with 500.
    public var errorRate: Double
    public var fault: Fault
    public var retryAfterSeconds: Int
    /// Flapping: when set, the provider answers 500 for `outageSeconds` out of every `outagePeriodSeconds`.
    public var outagePeriodSeconds: Double?
    public var outageSeconds: Double?
    /// Output tokens per answer (capped by the request's `max_tokens`).
    public var completionTokens: Int
    /// Time from the request to the first streamed token, in milliseconds (at least the latency).
    public var ttftMs: Double
    /// Streaming speed after the first token.
    public var tokensPerSecond: Double
    /// Reasoning deltas streamed before the content (`reasoning_content`), as reasoning models do.
    public var reasoningTokens: Int
    /// The next this many requests answer 503 (a 5xx burst), counted from when the behaviour is set.
    public var burstCount: Int
    /// `slow_drip`: pause between pieces of the body.
    public var dripIntervalMs: Double
    /// `oversized`: bytes of padding sent before the body.
    public var oversizeBytes: Int
    /// `x-inference-provider` on completions; nil means the simulator's name (or the `:suffix` asked for).
    public var servedBy: String?
    /// A chat request with `tools` gets 400 "this model does not support tools", as a server without tool calling answers.
    public var rejectsTools = false
    /// The `Retry-After` text a `rate_limited` answer carries instead of `retryAfterSeconds`: an
    /// HTTP date, or a provider's garbage (`inf`, `1e300`).
    public var retryAfterText: String?
    /// The token counts a completion's `usage` claims instead of the real ones: a provider's garbage (`9e18`).
    public var claimedUsageTokens: Int?
    /// A broken task answer inside a 200 (an empty or wrong-length vector, a cut PNG or WAV).
    public var taskFault: SimulatorTaskFault = .none

    public init(models: [String], latencyMs: Double = 20, jitterMs: Double = 0, errorRate: Double = 0, fault: Fault = .none,
                retryAfterSeconds: Int = 5, outagePeriodSeconds: Double? = nil, outageSeconds: Double? = nil, completionTokens: Int = 8,
                ttftMs: Double = 0, tokensPerSecond: Double = 500, reasoningTokens: Int = 0, burstCount: Int = 0,
                dripIntervalMs: Double = 200, oversizeBytes: Int = 4 << 20, servedBy: String? = nil,
                tailProbability: Double = 0, tailMs: Double = 0) {
        self.models = models
        self.latencyMs = latencyMs
        self.jitterMs = jitterMs
        self.errorRate = errorRate
        self.fault = fault
        self.retryAfterSeconds = retryAfterSeconds
        self.outagePeriodSeconds = outagePeriodSeconds
        self.outageSeconds = outageSeconds
        self.completionTokens = completionTokens
        self.ttftMs = ttftMs
        self.tokensPerSecond = tokensPerSecond
        self.reasoningTokens = reasoningTokens
        self.burstCount = burstCount
        self.dripIntervalMs = dripIntervalMs
        self.oversizeBytes = oversizeBytes
        self.servedBy = servedBy
        self.tailProbability = tailProbability
        self.tailMs = tailMs
    }

    /// Whether a flapping provider is in its outage phase `secondsSinceStart` after it started.
    public func inOutage(secondsSinceStart: Double) -> Bool {
        guard let period = outagePeriodSeconds, let outage = outageSeconds, period > 0 else { return false }
        return secondsSinceStart.truncatingRemainder(dividingBy: period) >= period - outage
    }

    /// Seconds between two streamed tokens.
    var tokenInterval: Double { tokensPerSecond > 0 ? 1 / tokensPerSecond : 0 }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SimulatorBehavior(models: try c.decodeIfPresent([String].self, forKey: .models) ?? [])
        self.init(
            models: d.models,
            latencyMs: try c.decodeIfPresent(Double.self, forKey: .latencyMs) ?? d.latencyMs,
            jitterMs: try c.decodeIfPresent(Double.self, forKey: .jitterMs) ?? d.jitterMs,
            errorRate: try c.decodeIfPresent(Double.self, forKey: .errorRate) ?? d.errorRate,
            fault: try c.decodeIfPresent(Fault.self, forKey: .fault) ?? d.fault,
            retryAfterSeconds: try c.decodeIfPresent(Int.self, forKey: .retryAfterSeconds) ?? d.retryAfterSeconds,
            outagePeriodSeconds: try c.decodeIfPresent(Double.self, forKey: .outagePeriodSeconds),
            outageSeconds: try c.decodeIfPresent(Double.self, forKey: .outageSeconds),
            completionTokens: try c.decodeIfPresent(Int.self, forKey: .completionTokens) ?? d.completionTokens,
            ttftMs: try c.decodeIfPresent(Double.self, forKey: .ttftMs) ?? d.ttftMs,
            tokensPerSecond: try c.decodeIfPresent(Double.self, forKey: .tokensPerSecond) ?? d.tokensPerSecond,
            reasoningTokens: try c.decodeIfPresent(Int.self, forKey: .reasoningTokens) ?? d.reasoningTokens,
            burstCount: try c.decodeIfPresent(Int.self, forKey: .burstCount) ?? d.burstCount,
            dripIntervalMs: try c.decodeIfPresent(Double.self, forKey: .dripIntervalMs) ?? d.dripIntervalMs,
            oversizeBytes: try c.decodeIfPresent(Int.self, forKey: .oversizeBytes) ?? d.oversizeBytes,
            servedBy: try c.decodeIfPresent(String.self, forKey: .servedBy),
            tailProbability: try c.decodeIfPresent(Double.self, forKey: .tailProbability) ?? d.tailProbability,
            tailMs: try c.decodeIfPresent(Double.self, forKey: .tailMs) ?? d.tailMs
        )
        rejectsTools = try c.decodeIfPresent(Bool.self, forKey: .rejectsTools) ?? false
        retryAfterText = try c.decodeIfPresent(String.self, forKey: .retryAfterText)
        claimedUsageTokens = try c.decodeIfPresent(Int.self, forKey: .claimedUsageTokens)
        taskFault = try c.decodeIfPresent(SimulatorTaskFault.self, forKey: .taskFault) ?? .none
    }

    enum CodingKeys: String, CodingKey {
        case models, fault
        case latencyMs = "latency_ms"
        case jitterMs = "jitter_ms"
        case errorRate = "error_rate"
        case retryAfterSeconds = "retry_after_seconds"
        case outagePeriodSeconds = "outage_period_seconds"
        case outageSeconds = "outage_seconds"
        case completionTokens = "completion_tokens"
        case ttftMs = "ttft_ms"
        case tokensPerSecond = "tokens_per_second"
        case reasoningTokens = "reasoning_tokens"
        case burstCount = "burst_count"
        case dripIntervalMs = "drip_interval_ms"
        case oversizeBytes = "oversize_bytes"
        case servedBy = "served_by"
        case tailProbability = "tail_probability"
        case tailMs = "tail_ms"
        case rejectsTools = "rejects_tools"
        case retryAfterText = "retry_after_text"
        case claimedUsageTokens = "claimed_usage_tokens"
        case taskFault = "task_fault"
    }
}
