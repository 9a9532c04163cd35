/// One request the gateway sends to a provider. May hold a credential: never log it.
public struct UpstreamRequest: Sendable {
    public var url: String
    /// Header lines, `Name: value` (the provider's key among them).
    public var headers: [String]
    public var body: [UInt8]
    public var connectTimeoutSeconds: Double
    /// No byte for this long (before the head, or between chunks) ends the transfer.
    public var idleTimeoutSeconds: Double
    /// The whole transfer's limit (what is left of the request's deadline).
    public var totalTimeoutSeconds: Double

    public init(url: String, headers: [String], body: [UInt8], connectTimeoutSeconds: Double, idleTimeoutSeconds: Double, totalTimeoutSeconds: Double) {
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.totalTimeoutSeconds = totalTimeoutSeconds
    }
}

/// How an upstream transfer failed, secret-free.
public enum UpstreamFailure: Hashable, Sendable, Error {
    case connect(String)
    case timeout
    case tooLarge
    case canceled
    case other(String)
}

/// A response's status line and headers (lower-cased names).
public struct UpstreamHead: Sendable {
    public var status: Int
    public var headers: [String: String]
    /// Seconds from the start of the transfer to this head.
    public var elapsedSeconds: Double

    public init(status: Int, headers: [String: String], elapsedSeconds: Double) {
        self.status = status
        self.headers = headers
        self.elapsedSeconds = elapsedSeconds
    }
}

/// One upstream answer as it arrives. Reading it is what lets the transfer go on: the
/// transport buffers a bounded amount and then pauses (backpressure).
public protocol UpstreamResponse: AnyObject, Sendable {
    /// Waits for the head; a failure when none came (connect error, timeout, garbage).
    func head() async -> Result<UpstreamHead, UpstreamFailure>
    /// The next body chunk; nil at the end (then `failure` says whether it ended well).
    func next() async -> [UInt8]?
    /// Why the body ended early, once `next()` returned nil; nil for a complete body.
    var failure: UpstreamFailure? { get }
    /// Ends the transfer now (the caller went away, or the gateway moved on).
    func cancel()
}

/// "Send this request upstream, stream the answer back". The libcurl engine implements it;
/// the gateway depends only on this.
public protocol UpstreamTransport: Sendable {
    func send(_ request: UpstreamRequest) -> any UpstreamResponse
    /// The executor whose thread moves the transfers, if the transport has one: the gateway
    /// runs its attempts there, so sending and resuming on the answer hand nothing to another thread.
    var executor: (any TaskExecutor)? { get }
}

extension UpstreamTransport {
    public var executor: (any TaskExecutor)? { nil }
}
