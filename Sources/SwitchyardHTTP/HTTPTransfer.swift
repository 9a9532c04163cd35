import SwitchyardCore

/// One HTTP request as the probe engine performs it.
public struct HTTPRequest: Sendable {
    /// GET and POST for probes; PUT for driving a simulator's control route.
    public enum Method: String, Sendable { case get = "GET", post = "POST", put = "PUT" }

    public var url: String
    public var method: Method
    /// Header lines, `Name: value`. May hold a credential: never log a request.
    public var headers: [String]
    public var body: [UInt8]?
    public var connectTimeoutSeconds: Double
    public var timeoutSeconds: Double
    /// Abort when no byte arrives for this long once the response began (a stalled stream).
    public var idleTimeoutSeconds: Double?
    /// Abort once the body grows past this size.
    public var maxBodyBytes: Int
    /// When set, receives the body as it arrives (and the body is not buffered): streams are parsed incrementally.
    public var bodyConsumer: (any HTTPBodyConsumer)?
    /// When set, receives the head and the body as they arrive and may pause the transfer
    /// (the gateway's pass-through); the body is not buffered.
    var responseStream: (any HTTPResponseStream)?
    /// Whether the idle timeout runs from the start (no first byte in time), not only once the response began.
    var idleFromStart = false
    /// When set, only these response headers (lower-case names) are read into the result; nil
    /// reads every one. Probes name the few they read: copying each header costs per probe.
    public var responseHeaderNames: [String]?
    /// When set, the request goes over this Unix socket (the URL's host is then only its `Host` header).
    public var unixSocketPath: String?

    public init(url: String, method: Method = .get, headers: [String] = [], body: [UInt8]? = nil,
                connectTimeoutSeconds: Double, timeoutSeconds: Double, idleTimeoutSeconds: Double? = nil, maxBodyBytes: Int = 1 << 20,
                bodyConsumer: (any HTTPBodyConsumer)? = nil) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.timeoutSeconds = timeoutSeconds
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.maxBodyBytes = maxBodyBytes
        self.bodyConsumer = bodyConsumer
    }
}

/// Receives a response body chunk by chunk as it arrives, on the engine's thread.
/// Implementations must be quick and must not block; the prober reads their result
/// once `perform` returns, which orders those reads after every `receive`.
public protocol HTTPBodyConsumer: AnyObject, Sendable {
    /// One chunk of body bytes, `elapsedSeconds` after the transfer started.
    func receive(_ chunk: [UInt8], elapsedSeconds: Double)
}

/// Receives a streamed response on the engine's thread; must not block.
protocol HTTPResponseStream: AnyObject, Sendable {
    /// The status and headers, just before the first body chunk.
    func head(status: Int, headers: [String: String], elapsedSeconds: Double)
    /// One body chunk; false refuses it for now and pauses the transfer until `CurlEngine.resume`.
    func offer(_ chunk: UnsafeBufferPointer<UInt8>) -> Bool
}

/// How a transfer ended, before any interpretation by a probe kind.
public enum TransferFailure: Hashable, Sendable {
    /// libcurl gave up: its error code and its message (which never holds headers).
    case curl(code: Int, message: String)
    /// The body grew past `maxBodyBytes`.
    case bodyTooLarge
    /// The response began, then no byte arrived for the request's idle timeout (a stalled stream).
    case idle(seconds: Double)
    /// The probe was canceled (shutdown or reload).
    case canceled
}

/// Everything a transfer produced: the response so far, its timings, and a failure if any.
public struct HTTPTransferResult: Sendable {
    /// HTTP status, 0 if no response line arrived.
    public var status: Int
    /// Response headers with lower-cased names; the last value wins.
    public var headers: [String: String]
    /// The buffered body; empty when a `bodyConsumer` took it.
    public var body: [UInt8]
    /// Body bytes received, whether buffered or consumed.
    public var bytesReceived: Int
    public var timings: PhaseTimings
    public var failure: TransferFailure?

    public init(status: Int = 0, headers: [String: String] = [:], body: [UInt8] = [], bytesReceived: Int? = nil,
                timings: PhaseTimings = PhaseTimings(), failure: TransferFailure? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.bytesReceived = bytesReceived ?? body.count
        self.timings = timings
        self.failure = failure
    }
}

/// Performs HTTP transfers. The libcurl engine is the real one; probes depend only on this.
public protocol HTTPTransport: Sendable {
    func perform(_ request: HTTPRequest) async -> HTTPTransferResult
}
