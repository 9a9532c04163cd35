import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix
import SwitchyardCore

/// Executes one request's `AttemptPolicy`: sends to each candidate in turn until one answers
/// (or the failure is the request's own), then streams that answer to the caller. Every
/// attempt becomes a report in the same pipeline as `POST /v1/reports`.
struct GatewayForwarder {
    let endpoint: GatewayEndpoint
    /// Its candidates may be reordered between attempts (`DemotionSinceRouting`).
    private(set) var request: GatewayRequest
    /// Who asked: the reports of its attempts carry this name.
    let caller: Caller
    let deps: APIDependencies
    let gateway: GatewayDependencies
    let configuration: GatewayConfiguration
    let slot: GatewaySlots.Slot

    mutating func run() async -> Response {
        let deadline = ContinuousClock.now + .milliseconds(Int64(configuration.settings.requestDeadlineSeconds * 1000))
        var decision = request.policy.first
        var attempts = 0
        var failures: [String] = []
        var lastOutcome: AttemptOutcome?
        /// The shortest `Retry-After` of the attempts answered 429: what the caller is told if every attempt was.
        var shortestRetryAfter: Double?
        gateway.traffic.request(request.selection.model)
        while case .tryNext(let next) = decision {
            let secondsLeft = Self.seconds(deadline - .now)
            attempts += 1
            if attempts > 1 {
                gateway.metrics.failover()
                gateway.traffic.failover(request.selection.model)
            }
            // A target another request saw fail since this one was routed goes behind the others now.
            if request.followsDemotions {
                let (now, model, before) = (deps.clock.now(), request.selection.model, request.demotedAtRouting)
                _ = DemotionSinceRouting.reorder(&request.candidates, next: next, target: { Target(provider: $0.provider, model: model) },
                                                 isDemoted: { [healthBook = deps.healthBook] in !before.contains($0.provider) && healthBook.isDemoted($0, at: now) })
            }
            guard var running = send(next, secondsLeft: secondsLeft) else {
                decision = request.policy.decide(after: .connectFailed, attempt: next, secondsLeft: secondsLeft)
                continue
            }
            let head: Result<UpstreamHead, UpstreamFailure>
            if attempts == 1, let hedge = configuration.upstreams[running.attempt.target]?.hedge {
                // Hedging on: the race may start the next candidate too and settle on either (HedgeRace).
                let raced = await HedgeRace(forwarder: self, settings: hedge, deadline: deadline).run(running)
                (running, head) = (raced.running, raced.head)
                attempts += raced.hedges
                failures += raced.failures
            } else {
                let sent = running.response
                head = await withTaskCancellationHandler { await sent.head() } onCancel: { sent.cancel() }
            }
            let (index, candidate, started, response) = (running.index, running.candidate, running.attempt, running.response)
            if case .failure(.canceled) = head {
                // The caller went away before any answer: nothing to report against the provider.
                return OpenAIError(status: .init(code: 499), type: "canceled", code: "canceled", message: "the caller went away").response(ServedBy())
            }
            var outcome = Self.outcome(of: head)
            // A 400 to a request using tools or structured output is read: when it says the target
            // lacks them, that is learned and the next candidate is tried (else it goes to the caller).
            var refusal: [UInt8] = []
            if outcome == .status(400), !request.asked.isEmpty {
                refusal = await Self.readPrefix(response, cap: 64 << 10)
                let said = UnsupportedFeature.said(in: String(decoding: refusal, as: UTF8.self), asked: request.asked)
                if !said.isEmpty {
                    learn(said, of: started.target)
                    outcome = .unsupported
                }
            }
            // A whole answer is held and checked before the caller gets a byte (`HeldAnswer`).
            var held: HeldAnswer.Read?
            var why: String?
            if outcome == .answered, !request.streaming {
                let read = await HeldAnswer.read(response, endpoint: endpoint, contentType: head.contentType, expectation: request.expectation,
                                                 limit: heldAnswerLimit, started: started.started)
                switch read {
                case .canceled:
                    return OpenAIError(status: .init(code: 499), type: "canceled", code: "canceled", message: "the caller went away").response(ServedBy())
                case .failed(let failed, let reason): (outcome, why) = (failed, reason)
                case .whole, .overCap: held = read
                }
            }
            decision = request.policy.decide(after: outcome, attempt: index, secondsLeft: Self.seconds(deadline - .now))
            let served = ServedBy(provider: candidate.provider.rawValue, upstreamModel: candidate.upstreamModel, attempts: attempts)
            if decision == .deliver, case .success(let head) = head {
                if case .whole(let answer) = held { return deliver(answer, head: head, attempt: started, served: served) }
                guard case .overCap(let prefix, let firstByte) = held else {
                    return deliver(response, head: head, outcome: outcome, attempt: started, served: served, prefix: refusal)
                }
                return deliver(response, head: head, outcome: outcome, attempt: started, served: served, prefix: prefix, prefixTTFT: firstByte)
            }
            response.cancel()
            let retryAfter = head.retryAfterSeconds(now: deps.clock.now())
            if outcome == .status(429), let retryAfter { shortestRetryAfter = min(shortestRetryAfter ?? retryAfter, retryAfter) }
            report(started, outcome: outcome, status: head.status, ttft: nil, usage: nil, retryAfter: retryAfter, why: why)
            failures.append("\(candidate.provider): \(why ?? Self.describe(outcome))")
            lastOutcome = outcome
        }
        gateway.metrics.request(endpoint, .upstreamFailed)
        let served = ServedBy(provider: "", upstreamModel: "", attempts: attempts)
        let message = "all \(attempts) attempt\(attempts == 1 ? "" : "s") failed: \(failures.joined(separator: "; "))"
        if lastOutcome == .status(429) {
            // The soonest any of them said it would take a request again (1 s when none said).
            let seconds = Int(max(1, (shortestRetryAfter ?? 1).rounded(.up)))
            return OpenAIError(status: .tooManyRequests, type: "rate_limit_error", code: "upstream_rate_limited", message: message,
                               retryAfterSeconds: seconds).response(served)
        }
        return OpenAIError(status: .badGateway, type: "upstream_error", code: "upstream_failed", message: message).response(served)
    }

    /// How much of a non-streaming answer is held to be checked. Text: the listener's body cap,
    /// at least 4 MiB; a larger answer streams on unchecked. Other tasks (vectors, images,
    /// audio): `gateway.max_answer_bytes`, and a larger answer is a failed attempt.
    private var heldAnswerLimit: HeldAnswer.Limit {
        endpoint.generates ? HeldAnswer.Limit(bytes: max(deps.limits.maxBodyBytes, 4 << 20), isHard: false, setting: "listen.max_body_bytes")
            : HeldAnswer.Limit(bytes: configuration.settings.maxAnswerBytes, isHard: true, setting: "gateway.max_answer_bytes")
    }

    /// Sends a held answer in one write (head, body and end together, with Content-Length). Its
    /// success is reported just after that write, on the same event loop (`afterThisAnswer`):
    /// every byte of it is in hand, and the health book, store and metrics need not delay it.
    private func deliver(_ answer: HeldAnswer, head: UpstreamHead, attempt: Attempt, served: ServedBy) -> Response {
        var headers: HTTPFields = [:]
        headers[.contentType] = head.headers["content-type"] ?? "application/json"
        served.write(into: &headers)
        let forwarder = self
        Self.afterThisAnswer {
            forwarder.report(attempt, outcome: .answered, status: head.status, ttft: answer.firstByteSeconds, usage: answer.usage, measure: answer.measure)
            forwarder.gateway.metrics.request(forwarder.endpoint, .ok)
        }
        // The slot is given back when this returns: what is left is one write of bytes in hand.
        return Response(status: HTTPResponse.Status(code: head.status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.bytes)))
    }

    /// Streams the chosen answer; the report is sent when the body has gone out (or broke).
    /// `prefix`: the part of a non-streaming answer already read (one too large to hold).
    private func deliver(_ response: any UpstreamResponse, head: UpstreamHead, outcome: AttemptOutcome, attempt: Attempt, served: ServedBy,
                         prefix: [UInt8] = [], prefixTTFT: Double? = nil) -> Response {
        var headers: HTTPFields = [:]
        headers[.contentType] = head.headers["content-type"] ?? (request.streaming ? "text/event-stream" : "application/json")
        if request.streaming { headers[.cacheControl] = "no-cache" }
        served.write(into: &headers)
        let status = HTTPResponse.Status(code: head.status)
        let sse = request.streaming && headers[.contentType]?.hasPrefix("text/event-stream") == true
        let forwarder = self
        let slot = self.slot
        // A whole answer of known length goes out with Content-Length (libcurl decodes compressed
        // answers, so only an uncompressed length is the caller's); streams are chunked.
        let length = request.streaming || head.headers["content-encoding"] != nil ? nil : head.headers["content-length"].flatMap { Int($0) }
        let body = ResponseBody(contentLength: length) { writer in
            _ = slot  // held until the answer has gone out
            var filter = SSEUsageFilter(keepUsageChunk: forwarder.request.callerWantsUsage)
            var collected: [UInt8] = []  // a non-streaming answer, for its usage (bounded)
            var ttft = prefixTTFT
            var broke: UpstreamFailure?
            do {
                if !prefix.isEmpty { try await writer.write(ByteBuffer(bytes: prefix)) }
                while let chunk = await response.next() {
                    if ttft == nil { ttft = Self.seconds(.now - attempt.started) }
                    let out = sse ? filter.filter(chunk) : chunk
                    if !sse, collected.count + chunk.count <= 1 << 20 { collected.append(contentsOf: chunk) }
                    if !out.isEmpty { try await writer.write(ByteBuffer(bytes: out)) }
                    if filter.malformed { break }
                }
                if filter.malformed { response.cancel() }  // garbage: the rest is not worth waiting for
                broke = filter.malformed ? .other("an event that is not JSON") : response.failure
                if sse {
                    // An event cut off by a broken stream is dropped, so the error event stands on its own.
                    let rest = filter.flush()
                    if broke == nil, !rest.isEmpty { try await writer.write(ByteBuffer(bytes: rest)) }
                }
                if let failure = broke, sse {
                    let why = filter.malformed ? "it sent an event that is not JSON" : Self.describe(failure)
                    try await writer.write(OpenAIError(status: .badGateway, type: "upstream_error", code: "stream_interrupted",
                                                       message: "the provider's stream broke: \(why)").streamEvent)
                }
                try await writer.finish(nil)
            } catch {
                // The caller went away: stop the upstream transfer at once; not the provider's fault.
                response.cancel()
                forwarder.gateway.metrics.request(forwarder.endpoint, .callerError)
                return
            }
            let usage = sse ? filter.usage : Self.usage(ofJSON: collected)
            let reported: AttemptOutcome = broke.map { $0 == .timeout ? .timedOut : .garbage } ?? outcome
            forwarder.report(attempt, outcome: reported, status: head.status, ttft: ttft, usage: usage, streamBroke: broke != nil)
            let result: GatewayMetrics.Result = broke != nil ? .streamBroken : outcome == .answered ? .ok : .callerError
            forwarder.gateway.metrics.request(forwarder.endpoint, result)
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// One attempt's identity and start, for its report.
    struct Attempt: Sendable {
        var target: Target
        var startedAt: Timestamp
        var started: ContinuousClock.Instant
    }

    /// Puts the attempt into the observation pipeline (health, store, metrics), as a report.
    /// A failure that is the request's own fault counts against no provider and is not reported.
    /// `why`: what was wrong with a held answer (never its bytes), for the report's message.
    /// `retryAfter`: the seconds the upstream's `Retry-After` asked for; a rate-limited or failing
    /// target is then held back that long (as after a probe), not the policy's default.
    func report(_ attempt: Attempt, outcome: AttemptOutcome, status: Int?, ttft: Double?, usage: Usage?, measure: AnswerMeasure = AnswerMeasure(),
                retryAfter: Double? = nil, why: String? = nil, streamBroke: Bool = false) {
        let errorClass = streamBroke ? (outcome == .timedOut ? ErrorClass.streamStalled : .badResponse) : AttemptPolicy.errorClass(outcome)
        if case .status(let code) = outcome, AttemptPolicy.isCallersFault(code) {
            gateway.metrics.attempt("caller_error")
            return
        }
        if outcome == .unsupported {
            // Learned instead (`learnRefusal`): neither the caller's fault nor a failure of the provider's health.
            gateway.metrics.attempt("unsupported")
            return
        }
        gateway.metrics.attempt(errorClass?.rawValue ?? "ok")
        gateway.traffic.attempt(attempt.target, failed: errorClass != nil)
        let total = Self.seconds(.now - attempt.started)
        let price = configuration.upstreams[attempt.target]?.price
        let cost = errorClass == nil ? price.map {
            $0.cost(tokensIn: usage?.tokensIn ?? 0, tokensOut: usage?.tokensOut ?? 0, seconds: total, images: measure.images, audioSeconds: measure.audioSeconds)
        } : nil
        var observation = Observation(
            target: attempt.target, source: .report, startedAt: attempt.startedAt,
            outcome: errorClass.map { .failure($0) } ?? .ok,
            httpStatus: status.flatMap { $0 > 0 ? $0 : nil }, totalSeconds: total, ttftSeconds: ttft,
            tokensIn: usage?.tokensIn, tokensOut: usage?.tokensOut, costUSD: cost,
            retryAt: errorClass == .rateLimited || errorClass == .serverError ? retryAfter.map { attempt.startedAt + total + $0 } : nil,
            message: errorClass == nil ? nil : "gateway: \(why ?? Self.describe(outcome))"
        )
        observation.reporter = caller.label
        observation.chargedToReporter = true
        if let cost { gateway.limiter.spend(caller, usd: cost, now: deps.clock.now()) }
        deps.deliver(observation)
    }

    /// Believes `target` lacks each of `features` for a while (`LearnedCapabilities`), and puts
    /// what is news into the events log.
    private func learn(_ features: Set<UnsupportedFeature>, of target: Target) {
        let now = deps.clock.now()
        for feature in UnsupportedFeature.allCases where features.contains(feature) {
            guard deps.healthBook.learnUnsupported(feature, of: target, at: now) else { continue }
            let what = feature == .tools ? "tool calling" : "structured output"
            let until = now + LearnedCapabilities.defaultSeconds
            deps.admin.recordEvent(DaemonEvent(at: now, kind: .capabilityLearned, caller: caller.label,
                                               message: "\(target.provider) \(target.model): a 400 said it does not support \(what); routes that need it leave it out until \(until.timeOfDay)"))
        }
    }

    /// Runs `work` once the current event-loop job is done (the answer it returns is written by
    /// then: `GatewayChannelHandler`, like Hummingbird, writes it in the same job), or at once off an event loop.
    static func afterThisAnswer(_ work: @escaping @Sendable () -> Void) {
        if let loop = MultiThreadedEventLoopGroup.currentEventLoop { loop.execute(work) } else { work() }
    }

    /// The first `cap` bytes of a body (all of it when shorter); the rest stays to be read.
    static func readPrefix(_ response: any UpstreamResponse, cap: Int) async -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count < cap, let chunk = await response.next() { bytes.append(contentsOf: chunk) }
        return bytes
    }

    static func usage(ofJSON bytes: [UInt8]) -> Usage? {
        guard let body = JSONBody(bytes), let member = body.member("usage") else { return nil }
        return Usage(usageJSON: body.raw(member))
    }

    static func describe(_ outcome: AttemptOutcome) -> String {
        switch outcome {
        case .answered: "answered"
        case .status(let status): "HTTP \(status)"
        case .connectFailed: "could not connect"
        case .timedOut: "no answer within the attempt timeout"
        case .garbage: "not a valid HTTP answer"
        case .unsupported: "HTTP 400: it does not support what the request uses"
        case .invalidAnswer(let errorClass): "a 2xx that is not a valid answer (\(errorClass.rawValue))"
        }
    }

    static func describe(_ failure: UpstreamFailure) -> String {
        switch failure {
        case .connect: "connection failed"
        case .timeout: "no byte within the attempt timeout"
        case .tooLarge: "answer too large"
        case .canceled: "canceled"
        case .other: "transfer failed"
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

extension Result where Success == UpstreamHead {
    var status: Int? {
        if case .success(let head) = self { return head.status }
        return nil
    }

    var contentType: String? {
        if case .success(let head) = self { return head.headers["content-type"] }
        return nil
    }

    /// The seconds the head's `Retry-After` asks for (delta-seconds or an HTTP date), if it has one.
    func retryAfterSeconds(now: Timestamp) -> Double? {
        if case .success(let head) = self { return RetryAfter.seconds(head.headers, now: now) }
        return nil
    }
}
