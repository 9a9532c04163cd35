import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A fake inference provider on loopback: OpenAI-compatible (`/v1/models`,
/// `/v1/chat/completions`), Ollama (`/api/tags`) and TGI/vLLM (`/health`) routes with
/// injectable latency and faults. A real HTTP server, used by tests, the demo and benchmarks.
public final class ProviderSimulator: Sendable {
    public let name: String
    private let behavior: Mutex<SimulatorBehavior>
    private let random: Mutex<SplitMix64>
    private let requests = Atomic<Int>(0)
    private let started = ContinuousClock.now

    public init(name: String, behavior: SimulatorBehavior, seed: UInt64 = 1) {
        self.name = name
        self.behavior = Mutex(behavior)
        self.random = Mutex(SplitMix64(seed: seed))
    }

    /// The behaviour in force now.
    public var currentBehavior: SimulatorBehavior { behavior.withLock { $0 } }
    /// Replaces the behaviour (what `PUT /_sim/behavior` does).
    public func setBehavior(_ new: SimulatorBehavior) { behavior.withLock { $0 = new } }
    /// Requests served so far, control routes excluded.
    public var requestCount: Int { requests.load(ordering: .relaxed) }

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

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/v1/models") { _, _ in try await self.answer { try self.modelList() } }
        router.post("/v1/chat/completions") { request, _ in
            let body = try await request.body.collect(upTo: 1 << 20)
            return try await self.answer { try self.completion(requestBody: body) }
        }
        router.get("/api/tags") { _, _ in try await self.answer { try self.ollamaTags() } }
        router.get("/health") { _, _ in try await self.answer { Response(status: .ok) } }
        router.get("/_sim/behavior") { _, _ in try self.json(self.currentBehavior) }
        router.put("/_sim/behavior") { request, context in
            let new = try await request.decode(as: SimulatorBehavior.self, context: context)
            self.setBehavior(new)
            return try self.json(new)
        }
        return router
    }

    /// Applies latency and faults, then produces the normal answer.
    private func answer(_ normal: () throws -> Response) async throws -> Response {
        requests.add(1, ordering: .relaxed)
        let now = behavior.withLock { $0 }
        let (delay, randomFailure) = random.withLock { rng in
            (now.latencyMs + (now.jitterMs > 0 ? Double.random(in: 0...now.jitterMs, using: &rng) : 0),
             now.errorRate > 0 && Double.random(in: 0..<1, using: &rng) < now.errorRate)
        }
        if now.fault == .hang {
            try await Task.sleep(for: .seconds(3600))
        }
        try await Task.sleep(for: .milliseconds(delay))
        let elapsed = Double((ContinuousClock.now - started).components.seconds)
        if randomFailure || now.fault == .serverError || now.inOutage(secondsSinceStart: elapsed) {
            return errorResponse(.internalServerError, "simulated server error")
        }
        switch now.fault {
        case .rateLimited:
            var response = errorResponse(.tooManyRequests, "simulated rate limit")
            response.headers[.retryAfter] = "\(now.retryAfterSeconds)"
            return response
        case .unauthorized:
            return errorResponse(.unauthorized, "simulated bad credentials")
        case .garbage:
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{\"choices\": [tru")))
        case .none, .serverError, .hang:
            return try normal()
        }
    }

    private func modelList() throws -> Response {
        let models = currentBehavior.models.map { ["id": $0, "object": "model", "owned_by": name] }
        return try json(["object": AnyEncodable("list"), "data": AnyEncodable(models)])
    }

    private func ollamaTags() throws -> Response {
        try json(["models": currentBehavior.models.map { ["name": $0, "model": $0] }])
    }

    private func completion(requestBody: ByteBuffer) throws -> Response {
        struct ChatRequest: Decodable { var model: String }
        guard let request = try? JSONDecoder().decode(ChatRequest.self, from: Data(buffer: requestBody)) else {
            return errorResponse(.badRequest, "body is not a chat completion request")
        }
        let behaviorNow = currentBehavior
        guard behaviorNow.models.contains(request.model) else {
            return errorResponse(.notFound, "model '\(request.model)' not found")
        }
        let answer: [String: AnyEncodable] = [
            "id": AnyEncodable("chatcmpl-sim"),
            "object": AnyEncodable("chat.completion"),
            "model": AnyEncodable(request.model),
            "choices": AnyEncodable([["index": AnyEncodable(0), "finish_reason": AnyEncodable("length"),
                                      "message": AnyEncodable(["role": "assistant", "content": "OK"])]]),
            "usage": AnyEncodable(["prompt_tokens": 9, "completion_tokens": behaviorNow.completionTokens,
                                   "total_tokens": 9 + behaviorNow.completionTokens]),
        ]
        var response = try json(answer)
        response.headers[HTTPField.Name("x-inference-provider")!] = name
        return response
    }

    private func json(_ value: some Encodable) throws -> Response {
        let data = try JSONEncoder().encode(value)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private func errorResponse(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let body = "{\"error\":{\"message\":\"\(message)\",\"type\":\"simulated\"}}"
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

/// Type-erased Encodable for building small JSON answers.
struct AnyEncodable: Encodable, Sendable {
    private let encodeValue: @Sendable (any Encoder) throws -> Void
    init<T: Encodable & Sendable>(_ value: T) { encodeValue = { try value.encode(to: $0) } }
    func encode(to encoder: any Encoder) throws { try encodeValue(encoder) }
}
