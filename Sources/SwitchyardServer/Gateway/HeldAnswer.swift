import SwitchyardCore

/// A non-streaming answer read whole before the caller gets a byte: an answer that is not what
/// it claims to be (a 200 whose body is not a JSON object, a chat completion without `choices`)
/// is then a failed attempt that fails over, and the good one goes out in one write with its
/// Content-Length. Bounded: past `cap` bytes the answer is no longer held (see `Read.overCap`).
struct HeldAnswer: Sendable {
    var body: JSONBody
    /// Seconds from the attempt's start to the first byte of the body.
    var firstByteSeconds: Double?

    /// How reading an answer ended.
    enum Read: Sendable {
        case whole(HeldAnswer)
        /// More than the cap: the bytes read so far; the rest streams to the caller unchecked.
        case overCap([UInt8], firstByteSeconds: Double?)
        /// The body broke off, or is not a valid answer: the attempt failed with this outcome.
        case failed(AttemptOutcome, why: String)
        /// The caller went away meanwhile.
        case canceled
    }

    /// Reads `response`'s body to its end (or past `cap`) and checks it.
    static func read(_ response: any UpstreamResponse, endpoint: GatewayEndpoint, cap: Int, started: ContinuousClock.Instant) async -> Read {
        var bytes: [UInt8] = []
        var firstByte: Double?
        while let chunk = await response.next() {
            if firstByte == nil {
                firstByte = GatewayForwarder.seconds(.now - started)
                if bytes.capacity < chunk.count { bytes = chunk } else { bytes.append(contentsOf: chunk) }
            } else {
                bytes.append(contentsOf: chunk)
            }
            if bytes.count > cap { return .overCap(bytes, firstByteSeconds: firstByte) }
        }
        switch response.failure {
        case nil: break
        case .canceled?: return .canceled
        case .timeout?: return .failed(.timedOut, why: "the answer stalled")
        case .some: return .failed(.garbage, why: "the answer broke off")
        }
        guard let body = JSONBody(bytes) else { return .failed(.garbage, why: "a 200 whose body is not a JSON object") }
        let needed = endpoint.generates ? "choices" : "data"
        guard body.member(needed) != nil else { return .failed(.garbage, why: "a 200 without `\(needed)`") }
        return .whole(HeldAnswer(body: body, firstByteSeconds: firstByte))
    }

    /// The answer's `usage`, when it has one.
    var usage: Usage? {
        body.member("usage").flatMap { Usage(usageJSON: body.raw($0)) }
    }
}
