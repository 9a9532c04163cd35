import SwitchyardCore

/// A non-streaming answer read whole before the caller gets a byte: an answer that is not what
/// it claims to be (a 200 whose body is not a JSON object, a chat completion without `choices`,
/// an image that does not decode) is then a failed attempt that fails over, and the good one
/// goes out in one write with its Content-Length. Bounded: past `cap` bytes a text answer is no
/// longer held (see `Read.overCap`); an answer of another task past it is a failed attempt.
struct HeldAnswer: Sendable {
    var bytes: [UInt8]
    /// Seconds from the attempt's start to the first byte of the body.
    var firstByteSeconds: Double?
    var usage: Usage?
    /// What it delivered, in the task's unit (images, seconds of audio), for its price.
    var measure: AnswerMeasure

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

    /// How much to hold and whether an answer past it may still go out unchecked.
    struct Limit: Sendable {
        var bytes: Int
        /// `gateway.max_answer_bytes` for tasks other than text: an answer past it fails.
        var isHard: Bool
        var setting: String
    }

    /// Reads `response`'s body to its end (or past the limit) and checks it as the endpoint's answer.
    static func read(_ response: any UpstreamResponse, endpoint: GatewayEndpoint, contentType: String?, expectation: AnswerExpectation,
                     limit: Limit, started: ContinuousClock.Instant) async -> Read {
        var bytes: [UInt8] = []
        var firstByte: Double?
        while let chunk = await response.next() {
            if firstByte == nil {
                firstByte = GatewayForwarder.seconds(.now - started)
                if bytes.capacity < chunk.count { bytes = chunk } else { bytes.append(contentsOf: chunk) }
            } else {
                bytes.append(contentsOf: chunk)
            }
            if bytes.count > limit.bytes {
                guard limit.isHard else { return .overCap(bytes, firstByteSeconds: firstByte) }
                response.cancel()
                return .failed(.invalidAnswer(.bodyTooLarge), why: "an answer over \(limit.bytes) bytes (\(limit.setting))")
            }
        }
        switch response.failure {
        case nil: break
        case .canceled?: return .canceled
        case .timeout?: return .failed(.timedOut, why: "the answer stalled")
        case .some: return .failed(.garbage, why: "the answer broke off")
        }
        switch AnswerCheck.check(endpoint, bytes, contentType: contentType, expectation: expectation) {
        case .success(let checked):
            return .whole(HeldAnswer(bytes: bytes, firstByteSeconds: firstByte, usage: checked.usage, measure: checked.measure))
        case .failure(let problem):
            return .failed(problem.errorClass == .badResponse ? .garbage : .invalidAnswer(problem.errorClass), why: problem.why)
        }
    }
}
