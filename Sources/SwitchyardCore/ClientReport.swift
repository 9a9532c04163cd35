/// One real request outcome as a client reported it, before validation. Every field is
/// optional so that one malformed item is rejected on its own, not the whole batch.
public struct ClientReport: Hashable, Sendable {
    public var provider: String?
    public var model: String?
    /// Unix seconds, or an RFC 3339 string.
    public var startedAt: ReportTime?
    public var outcome: String?
    public var status: Int?
    public var ttftMs: Double?
    public var totalMs: Double?
    public var tokensIn: Int?
    public var tokensOut: Int?
    /// Seconds of audio transcribed or spoken (speech tasks).
    public var audioSeconds: Double?
    /// Images made (text-to-image).
    public var images: Int?

    public init(provider: String? = nil, model: String? = nil, startedAt: ReportTime? = nil, outcome: String? = nil, status: Int? = nil,
                ttftMs: Double? = nil, totalMs: Double? = nil, tokensIn: Int? = nil, tokensOut: Int? = nil,
                audioSeconds: Double? = nil, images: Int? = nil) {
        self.audioSeconds = audioSeconds
        self.images = images
        self.provider = provider
        self.model = model
        self.startedAt = startedAt
        self.outcome = outcome
        self.status = status
        self.ttftMs = ttftMs
        self.totalMs = totalMs
        self.tokensIn = tokensIn
        self.tokensOut = tokensOut
    }
}

/// `started_at` as sent: a number of seconds or a string.
public enum ReportTime: Hashable, Sendable {
    case unixSeconds(Double)
    case text(String)
}

/// Why a report item was refused. The raw values are metric labels and API codes.
public enum ReportRejection: String, CaseIterable, Hashable, Sendable, Error {
    case missingField = "missing_field"
    case unknownTarget = "unknown_target"
    case badOutcome = "bad_outcome"
    case badTime = "bad_time"
    case badDuration = "bad_duration"
    case badTokens = "bad_tokens"
    case badStatus = "bad_status"
}

/// Turns client reports into observations, refusing what is unknown or impossible.
public struct ReportValidator: Sendable {
    /// How far in the past a report may start (older ones say nothing about now).
    public var maxAgeSeconds: Double = 3600
    /// Clock skew tolerated for reports from the future.
    public var maxSkewSeconds: Double = 60
    public var maxDurationSeconds: Double = 3600
    public var maxTokens = 10_000_000

    public init() {}

    /// The observation for `report`, or why it is refused, with a message for the client.
    /// `descriptor` looks up a configured target (for its price) by provider and model.
    public func validate(_ report: ClientReport, now: Timestamp, descriptor: (Target) -> TargetDescriptor?) -> Result<Observation, ReportFailure> {
        guard let provider = report.provider, let model = report.model, let outcomeText = report.outcome,
              let started = report.startedAt, let totalMs = report.totalMs else {
            let missing = [("provider", report.provider == nil), ("model", report.model == nil), ("started_at", report.startedAt == nil),
                           ("outcome", report.outcome == nil), ("total_ms", report.totalMs == nil)].filter(\.1).map(\.0)
            return .failure(ReportFailure(.missingField, "missing \(missing.joined(separator: ", "))"))
        }
        let target = Target(provider: ProviderID(provider), model: ModelName(model))
        guard let descriptor = descriptor(target) else {
            return .failure(ReportFailure(.unknownTarget, "no configured target \(provider)/\(model)"))
        }
        guard let outcome = Outcome(label: outcomeText) else {
            return .failure(ReportFailure(.badOutcome, "outcome '\(outcomeText)' is not ok or an error class"))
        }
        let startedAt: Timestamp
        switch started {
        case .unixSeconds(let seconds): startedAt = Timestamp(secondsSinceEpoch: seconds)
        case .text(let text):
            guard let parsed = Timestamp(rfc3339: text) else { return .failure(ReportFailure(.badTime, "started_at '\(text)' is not RFC 3339")) }
            startedAt = parsed
        }
        guard startedAt.secondsSinceEpoch.isFinite, now - startedAt <= maxAgeSeconds, startedAt - now <= maxSkewSeconds else {
            return .failure(ReportFailure(.badTime, "started_at must be within the last \(Int(maxAgeSeconds)) s"))
        }
        guard totalMs.isFinite, totalMs >= 0, totalMs / 1000 <= maxDurationSeconds else {
            return .failure(ReportFailure(.badDuration, "total_ms must be between 0 and \(Int(maxDurationSeconds * 1000))"))
        }
        if let ttft = report.ttftMs, !(ttft.isFinite && ttft >= 0 && ttft <= totalMs) {
            return .failure(ReportFailure(.badDuration, "ttft_ms must be between 0 and total_ms"))
        }
        for tokens in [report.tokensIn, report.tokensOut].compactMap({ $0 }) where !(0...maxTokens).contains(tokens) {
            return .failure(ReportFailure(.badTokens, "token counts must be between 0 and \(maxTokens)"))
        }
        if let audio = report.audioSeconds, !(audio.isFinite && audio >= 0 && audio <= maxDurationSeconds * 100) {
            return .failure(ReportFailure(.badDuration, "audio_seconds must be between 0 and \(Int(maxDurationSeconds * 100))"))
        }
        if let images = report.images, !(0...10_000).contains(images) {
            return .failure(ReportFailure(.badTokens, "images must be between 0 and 10000"))
        }
        if let status = report.status {
            guard (100...599).contains(status) else { return .failure(ReportFailure(.badStatus, "status \(status) is not an HTTP status")) }
            if outcome == .ok, status >= 400 { return .failure(ReportFailure(.badOutcome, "outcome ok with HTTP status \(status)")) }
        }
        let seconds = totalMs / 1000
        // An image request that does not say how many images it made made one.
        let images = report.images ?? (descriptor.task == .textToImage ? 1 : 0)
        let cost = descriptor.price.map {
            $0.cost(tokensIn: report.tokensIn ?? 0, tokensOut: report.tokensOut ?? 0, seconds: seconds, images: images,
                    audioSeconds: report.audioSeconds ?? 0)
        }
        var observation = Observation(
            target: target, source: .report, startedAt: startedAt, outcome: outcome, httpStatus: report.status,
            totalSeconds: seconds, ttftSeconds: report.ttftMs.map { $0 / 1000 }, tokensIn: report.tokensIn, tokensOut: report.tokensOut,
            costUSD: outcome == .ok ? cost : nil
        )
        observation.audioSeconds = report.audioSeconds
        observation.images = report.images
        return .success(observation)
    }
}

/// A refused report: its reason code and a message for the client.
public struct ReportFailure: Error, Hashable, Sendable {
    public var reason: ReportRejection
    public var message: String

    public init(_ reason: ReportRejection, _ message: String) {
        self.reason = reason
        self.message = message
    }
}
