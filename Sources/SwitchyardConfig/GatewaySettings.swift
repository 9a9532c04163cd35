/// The `gateway:` section: the OpenAI-compatible endpoint that routes, streams and fails over.
public struct GatewaySettings: Hashable, Sendable {
    /// Whether `/v1/chat/completions` and its siblings are served.
    public var enabled = true
    /// Attempts per request, the first included (`max_attempts`).
    public var maxAttempts = 3
    /// Gateway requests in flight at once; beyond it 503 with `Retry-After` (`max_concurrent`).
    public var maxConcurrent = 256
    /// A request's whole time, all attempts and the streamed answer included (`request_deadline`).
    public var requestDeadlineSeconds: Double = 120
    /// The largest multipart upload (`/v1/audio/transcriptions`) read; beyond it 413 (`max_upload_bytes`, 25 MiB as OpenAI's own limit).
    public var maxUploadBytes = 25 << 20
    /// The bytes all uploads in flight may hold together; an upload that would cross it gets 503
    /// with Retry-After, before its body is read when it declares its length (`upload_budget_bytes`).
    public var uploadBudgetBytes = 256 << 20
    /// The largest non-streaming answer of a task other than text (images, vectors, audio) held
    /// and checked; a larger one is a failed attempt (`max_answer_bytes`, sized for a few images).
    public var maxAnswerBytes = 32 << 20

    public init() {}
}
