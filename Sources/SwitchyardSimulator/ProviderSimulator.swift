import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization
import SwitchyardCore

/// A fake inference provider on loopback speaking every dialect Switchyard probes:
/// OpenAI (`/v1/models`, `/v1/chat/completions` plain and SSE), Hugging Face router
/// (`model:provider` names, `x-inference-provider`), Ollama (`/api/tags`, `/api/chat`
/// NDJSON) and TGI/vLLM (`/health`), with latency, TTFT, tokens/s and faults switchable
/// at run time, and the OpenAI task endpoints (SimulatorTasks.swift). A real HTTP server,
/// used by tests, the demo and benchmarks.
public final class ProviderSimulator: Sendable {
    public let name: String
    private let behavior: Mutex<SimulatorBehavior>
    private let random: Mutex<SplitMix64>
    private let requests = Atomic<Int>(0)
    /// Requests to the OpenAI POST routes (completions, chat, embeddings) and the 5xx answers given.
    private let completionRequests = Atomic<Int>(0)
    private let serverErrors = Atomic<Int>(0)
    /// Requests whose caller had closed the connection by the time the answer was ready.
    private let abandoned = Atomic<Int>(0)
    /// Per model, completion requests that arrived after the first injected failure (`/_sim/stats`).
    private let failureWindows = FailureWindows()
    private let burstLeft: Atomic<Int>
    private let started = ContinuousClock.now
    /// The last requests to the OpenAI POST routes, newest last (at most `maxRecorded`).
    private let recorded = Mutex<[RecordedRequest]>([])
    private static let maxRecorded = 64
    /// The video jobs `POST /v1/videos` accepted (see SimulatorTasks.swift).
    let videoJobs = SimulatorVideoJobs()
    /// The catalog served in the router's and the Hub's shapes, with its router body encoded once.
    private let catalog = Mutex<(catalog: SimulatorCatalog, body: [UInt8], ids: Set<String>)?>(nil)

    public init(name: String, behavior: SimulatorBehavior, seed: UInt64 = 1) {
        self.name = name
        self.behavior = Mutex(behavior)
        self.random = Mutex(SplitMix64(seed: seed))
        self.burstLeft = Atomic(behavior.burstCount)
    }

    /// The behaviour in force now.
    public var currentBehavior: SimulatorBehavior { behavior.withLock { $0 } }
    /// Replaces the behaviour (what `PUT /_sim/behavior` does); a burst starts counting now.
    public func setBehavior(_ new: SimulatorBehavior) {
        behavior.withLock { $0 = new }
        failureWindows.closeAll()
        burstLeft.store(new.burstCount, ordering: .relaxed)
    }
    /// The model-list reads (`GET /v1/models`, `/api/tags`, the Hub's model info), newest last (at most `maxRecorded`):
    /// tests check whose key a discovery sent where.
    public var recordedListReads: [RecordedRequest] { listReads.withLock { $0 } }
    private let listReads = Mutex<[RecordedRequest]>([])

    private func recordListRead(_ request: Request) {
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        listReads.withLock { list in
            list.append(RecordedRequest(path: request.uri.path, headers: headers, body: []))
            if list.count > Self.maxRecorded { list.removeFirst(list.count - Self.maxRecorded) }
        }
    }

    /// The catalog in force, if any.
    public var currentCatalog: SimulatorCatalog? { catalog.withLock { $0?.catalog } }
    /// Replaces the catalog (what `PUT /_sim/catalog` does); nil serves the plain OpenAI model list again.
    /// Its models are served as `MODEL:PARTNER` besides `behavior.models`.
    public func setCatalog(_ new: SimulatorCatalog?) {
        guard let new else {
            catalog.withLock { $0 = nil }
            return
        }
        let served = (catalog: new, body: new.routerBody(ownedBy: name), ids: Set(new.models.map(\.id)))
        catalog.withLock { $0 = served }
    }

    /// The last requests the OpenAI POST routes received (headers and body), newest last:
    /// tests check what a gateway forwarded, and that a caller's token never arrived.
    public var recordedRequests: [RecordedRequest] { recorded.withLock { $0 } }

    /// Returns the request's arrival instant, for `arrived(model:at:)` once its model is known.
    @discardableResult
    func record(_ request: Request, _ body: ByteBuffer) -> ContinuousClock.Instant {
        let arrival = ContinuousClock.now
        completionRequests.add(1, ordering: .relaxed)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let entry = RecordedRequest(path: request.uri.path, headers: headers, body: Array(body.readableBytesView))
        recorded.withLock { list in
            list.append(entry)
            if list.count > Self.maxRecorded { list.removeFirst(list.count - Self.maxRecorded) }
        }
        return arrival
    }

    /// Counts a completion request for `model` that arrived at `arrival` when it came after the model's first injected failure.
    func arrived(model: String, at arrival: ContinuousClock.Instant) {
        failureWindows.arrived(model: model, at: arrival)
    }

    /// Per model: completion requests that arrived after the simulator answered the model's first
    /// injected failure (5xx) under the current behaviour (or the last one that injected failures).
    public var completionRequestsAfterFirstFailure: [String: Int] { failureWindows.counts }

    /// Requests served so far, control routes excluded.
    public var requestCount: Int { requests.load(ordering: .relaxed) }

    /// What `GET /_sim/stats` answers: requests so far (control routes excluded), those to the
    /// OpenAI POST routes (the traffic, as opposed to liveness probes), the 5xx answers, so a
    /// benchmark can count what reached a provider while it was failing, and the requests whose
    /// caller had gone away before the answer was ready (a canceled transfer, e.g. a lost hedge).
    public var stats: [String: Int] {
        ["requests": requestCount, "completion_requests": completionRequests.load(ordering: .relaxed),
         "server_errors": serverErrors.load(ordering: .relaxed), "abandoned": abandoned.load(ordering: .relaxed)]
    }

    /// A Hummingbird application serving this simulator at `address`; `onRunning` gets the bound port.
    public func application(
        address: BindAddress = .hostname("127.0.0.1", port: 0), logger: Logger = Logger(label: "switchyard.sim"),
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: makeRouter(),
            configuration: ApplicationConfiguration(address: address, serverName: "switchyard-sim/\(name)"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    func makeRouter() -> Router<SimulatorContext> {
        let router = Router(context: SimulatorContext.self)
        router.get("/v1/models") { request, context in
            self.recordListRead(request)
            let catalogBody = self.catalog.withLock { $0?.body }
            return try await self.answer(context) { _, _ in
                catalogBody.map { BodyPlan(format: .json, pieces: [.init(delay: 0, bytes: $0)]) } ?? .json(self.modelList())
            }
        }
        router.get("/api/models/:org/:name") { request, context in
            self.recordListRead(request)
            let id = "\(context.parameters.get("org") ?? "")/\(context.parameters.get("name") ?? "")"
            guard let body = self.currentCatalog?.hubMappingBody(id) else { return self.errorResponse(.notFound, "Repository not found") }
            return try await self.answer(context) { _, _ in BodyPlan(format: .json, pieces: [.init(delay: 0, bytes: body)]) }
        }
        router.get("/_sim/catalog") { _, _ in
            SimulatorBody.response(.json(self.currentCatalog ?? SimulatorCatalog(models: [])), behavior: SimulatorBehavior(models: []))
        }
        router.put("/_sim/catalog") { request, context in
            let query = request.uri.queryParameters
            let new: SimulatorCatalog
            if let models = query.get("models", as: Int.self), let providers = query.get("providers", as: Int.self) {
                let (offers, overflow) = models.multipliedReportingOverflow(by: providers)
                guard models >= 0, providers >= 0, !overflow, offers <= SimulatorCatalog.maxGeneratedOffers else {
                    return self.errorResponse(.badRequest, "models and providers must be >= 0, with at most \(SimulatorCatalog.maxGeneratedOffers) offers in all")
                }
                new = SimulatorCatalog.generated(models: models, providers: providers)
            } else {
                new = try await request.decode(as: SimulatorCatalog.self, context: context)
            }
            self.setCatalog(new)
            return SimulatorBody.response(.json(["models": new.models.count, "offers": new.models.reduce(0) { $0 + $1.offers.count }]),
                                          behavior: SimulatorBehavior(models: []))
        }
        router.post("/v1/chat/completions") { request, context in
            let body = try await request.body.collect(upTo: 1 << 20)
            let arrival = self.record(request, body)
            guard let ask = try? ChatAsk.decode(Data(buffer: body)) else {
                return self.errorResponse(.badRequest, "body is not a chat completion request")
            }
            self.arrived(model: ask.model, at: arrival)
            if self.currentBehavior.rejectsTools, (try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])?["tools"] != nil {
                return self.errorResponse(.badRequest, "this model does not support tools")
            }
            return try await self.answer(context, model: ask.model) { behavior, headAfterMs in
                ask.stream == true ? SimulatorAnswers.openAIStream(ask, behavior, headAfterMs: headAfterMs)
                    : SimulatorAnswers.openAICompletion(ask, behavior)
            }
        }
        router.post("/v1/completions") { request, context in
            let body = try await request.body.collect(upTo: 1 << 20)
            let arrival = self.record(request, body)
            guard let ask = try? ChatAsk.decode(Data(buffer: body)) else {
                return self.errorResponse(.badRequest, "body is not a completion request")
            }
            self.arrived(model: ask.model, at: arrival)
            return try await self.answer(context, model: ask.model) { behavior, _ in SimulatorAnswers.textCompletion(ask, behavior) }
        }
        addTaskRoutes(to: router)
        router.get("/api/tags") { request, context in
            self.recordListRead(request)
            return try await self.answer(context) { behavior, _ in .json(["models": behavior.models.map { ["name": $0, "model": $0] }]) }
        }
        router.post("/api/chat") { request, context in
            let body = try await request.body.collect(upTo: 1 << 20)
            guard let ask = try? ChatAsk.decode(Data(buffer: body)) else {
                return self.errorResponse(.badRequest, "body is not a chat request")
            }
            return try await self.answer(context, model: ask.model) { behavior, headAfterMs in
                SimulatorAnswers.ollamaChat(ask, behavior, headAfterMs: headAfterMs)
            }
        }
        router.get("/health") { _, context in
            try await self.answer(context) { _, _ in BodyPlan(format: .json, pieces: []) }
        }
        router.get("/_sim/behavior") { _, _ in SimulatorBody.response(.json(self.currentBehavior), behavior: SimulatorBehavior(models: [])) }
        router.get("/_sim/stats") { _, _ in
            SimulatorBody.response(.json(SimulatorStats(counts: self.stats, afterFirstFailure: self.completionRequestsAfterFirstFailure)),
                                   behavior: SimulatorBehavior(models: []))
        }
        router.put("/_sim/behavior") { request, context in
            let new = try await request.decode(as: SimulatorBehavior.self, context: context)
            self.setBehavior(new)
            return SimulatorBody.response(.json(new), behavior: SimulatorBehavior(models: []))
        }
        addHubTaskRoutes(to: router)
        return router
    }

    /// Applies latency and the faults that replace an answer, then produces the normal
    /// answer (for `model`, when the route serves one) shaped by the body faults.
    func answer(_ context: SimulatorContext, model: String? = nil,
                        _ normal: (SimulatorBehavior, Double) -> BodyPlan) async throws -> Response {
        requests.add(1, ordering: .relaxed)
        let now = currentBehavior
        let (delay, randomFailure) = random.withLock { rng in
            (now.latencyMs + (now.jitterMs > 0 ? Double.random(in: 0...now.jitterMs, using: &rng) : 0)
                + (now.tailProbability > 0 && Double.random(in: 0..<1, using: &rng) < now.tailProbability ? now.tailMs : 0),
             now.errorRate > 0 && Double.random(in: 0..<1, using: &rng) < now.errorRate)
        }
        switch now.fault {
        case .hang:
            try await Task.sleep(for: .seconds(3600))
        case .reset:
            try await reset(context.channel)
        default:
            break
        }
        let watcher = delay > 0 ? await ConnectionWatcher.watching(context.channel) : nil
        try await Task.sleep(for: .milliseconds(delay))
        if watcher?.callerClosed == true {
            abandoned.add(1, ordering: .relaxed)
            throw SimulatedDisconnect()
        }
        let elapsed = (ContinuousClock.now - started) / .seconds(1)
        if burstLeft.load(ordering: .relaxed) > 0, burstLeft.subtract(1, ordering: .relaxed).newValue >= 0 {
            serverErrors.add(1, ordering: .relaxed)
            if let model { failureWindows.failureAnswered(model: model) }
            return errorResponse(.serviceUnavailable, "simulated 5xx burst")
        }
        if randomFailure || now.fault == .serverError || now.inOutage(secondsSinceStart: elapsed) {
            serverErrors.add(1, ordering: .relaxed)
            if let model { failureWindows.failureAnswered(model: model) }
            return errorResponse(.internalServerError, "simulated server error")
        }
        switch now.fault {
        case .rateLimited:
            var response = errorResponse(.tooManyRequests, "simulated rate limit")
            response.headers[.retryAfter] = now.retryAfterText ?? "\(now.retryAfterSeconds)"
            return response
        case .unauthorized:
            return errorResponse(.unauthorized, "simulated bad credentials")
        default:
            break
        }
        var headers: HTTPFields = [:]
        if let model {
            let (base, suffix) = Self.split(model)
            guard now.models.contains(model) || now.models.contains(base) || (suffix != nil && catalog.withLock { $0?.ids.contains(base) } == true) else {
                return errorResponse(.notFound, "model '\(model)' not found")
            }
            headers[HTTPField.Name("x-inference-provider")!] = now.servedBy ?? suffix ?? name
        }
        return SimulatorBody.response(normal(now, delay), headers: headers, behavior: now)
    }

    /// `org/model:provider` → (`org/model`, `provider`), the Hugging Face router's naming.
    private static func split(_ model: String) -> (String, String?) {
        guard let colon = model.lastIndex(of: ":"), !model[model.index(after: colon)...].contains("/") else { return (model, nil) }
        return (String(model[..<colon]), String(model[model.index(after: colon)...]))
    }

    /// Drops the connection with a TCP RST (SO_LINGER 0) before any byte of the answer.
    private func reset(_ channel: any Channel) async throws {
        if let socket = channel as? any SocketOptionProvider {
            try? await socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        }
        try? await channel.close().get()
        throw SimulatedDisconnect()
    }

    private func modelList() -> [String: AnyEncodable] {
        let models = currentBehavior.models.map { ["id": $0, "object": "model", "owned_by": name] }
        return ["object": AnyEncodable("list"), "data": AnyEncodable(models)]
    }

    func errorResponse(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let body = "{\"error\":{\"message\":\"\(message)\",\"type\":\"simulated\"}}"
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

/// What `GET /_sim/stats` answers: the counters of `ProviderSimulator.stats` at the top level,
/// and per model the completion requests that arrived after its first injected failure.
struct SimulatorStats: Encodable {
    var counts: [String: Int]
    var afterFirstFailure: [String: Int]

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (name, value) in counts { try container.encode(value, forKey: Key(name)) }
        try container.encode(afterFirstFailure, forKey: Key("completion_requests_after_first_failure"))
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// One request a simulator received.
public struct RecordedRequest: Sendable {
    public var path: String
    /// Header names in canonical (as sent) case; look up with `header(_:)`.
    public var headers: [String: String]
    public var body: [UInt8]

    /// A header's value, by case-insensitive name.
    public func header(_ name: String) -> String? {
        headers.first { $0.key.lowercased() == name.lowercased() }?.value
    }
}

/// The request context of the simulator: Hummingbird's basic one plus the channel, so a
/// fault can reset the connection.
public struct SimulatorContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection this request arrived on.
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
