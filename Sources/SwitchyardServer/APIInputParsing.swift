import Hummingbird
import HTTPTypes
import NIOCore
import SwitchyardCore

/// The API's parsers of request input (query strings, the reports body), reached without a
/// listener: the fuzz harnesses (`switchyard-fuzz`) drive the real handlers through here.
package enum APIInputParsing {
    /// Dependencies for two providers serving two models each, at a fixed time, with an
    /// empty history store; `deliver` receives accepted reports.
    package static func dependencies(deliver: @escaping @Sendable (Observation) -> Void = { _ in }) -> APIDependencies {
        let now = Timestamp(secondsSinceEpoch: 1_796_000_000)
        let descriptors = ["p1", "p2"].enumerated().flatMap { p, provider in
            ["m1", "m2"].enumerated().map { m, model in
                TargetDescriptor(target: Target(provider: ProviderID(provider), model: ModelName(model)), upstreamModel: model,
                                 baseURL: "http://127.0.0.1:1/v1", price: Price(inputPerMTok: Double(p + 1), outputPerMTok: 1),
                                 preferenceOrder: p * 2 + m)
            }
        }
        return APIDependencies(healthBook: HealthBook(descriptors: descriptors, now: now), readiness: Readiness(),
                               metrics: SwitchyardMetrics(targets: descriptors.map { MetricsTarget($0.target, kind: "openai") }, version: "fuzz"),
                               clock: FixedWallClock(now: now), deliver: deliver, history: EmptyHistory())
    }

    /// `GET /v1/route?<query>` through its handler.
    package static func route(query: String, _ deps: APIDependencies) throws -> Response {
        try APIRoutes.route(request(path: "/v1/route?" + query), deps)
    }

    /// `GET /v1/history?<query>` through its handler.
    package static func history(query: String, _ deps: APIDependencies) throws -> Response {
        try HistoryRoutes.history(request(path: "/v1/history?" + query), deps)
    }

    /// `GET /v1/events?<query>` through its handler.
    package static func events(query: String, _ deps: APIDependencies) throws -> Response {
        try HistoryRoutes.events(request(path: "/v1/events?" + query), deps)
    }

    /// `POST /v1/reports` with `body` from one client: the counts of the answer and the number of
    /// per-item results. Each call has a fresh memory of batch ids, so no answer is a replay.
    package static func reports(body: [UInt8], _ deps: APIDependencies) throws -> (accepted: Int, rejected: Int, results: Int) {
        var deps = deps
        deps.reportBatches = ReportBatchMemory(capacity: 1)
        let answer = try ReportsEndpoint.accept(ByteBuffer(bytes: body), caller: .client(name: "fuzz"), deps)
        return (answer.accepted, answer.rejected, answer.results.count)
    }

    private static func request(path: String) -> Request {
        Request(head: HTTPRequest(method: .get, scheme: "http", authority: "127.0.0.1", path: path), body: RequestBody(buffer: ByteBuffer()))
    }

    private struct FixedWallClock: WallClock {
        var now_: Timestamp
        init(now: Timestamp) { now_ = now }
        func now() -> Timestamp { now_ }
    }

    private struct EmptyHistory: HistoryReading {
        func history(_ query: HistoryQuery) throws -> [HistoryBucket] { [] }
        func events(since: Timestamp?, limit: Int) throws -> [Transition] { [] }
        func daemonEvents(since: Timestamp?, limit: Int) throws -> [DaemonEvent] { [] }
    }
}
