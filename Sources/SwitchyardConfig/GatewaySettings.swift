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

    public init() {}
}
