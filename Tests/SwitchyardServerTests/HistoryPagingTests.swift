import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import Synchronization
import SwitchyardCore
@testable import SwitchyardServer
import SwitchyardStore
import Testing

/// `/v1/history` over a fleet: the whole answer is capped (not each target), further targets come
/// in pages the `next` link asks for, a page is streamed one target at a time from the heavy-read
/// threads, and heavy reads beyond their limit get 503 with Retry-After. A real SQLite store,
/// filled with a day of probes per target by the store's own load generator.
@Suite(.serialized, .timeLimit(.minutes(5))) struct HistoryPagingTests {
    static let targets = 120
    static let maxBuckets = HistoryRoutes.maxBuckets

    @Test func aFleetsDayOfMinutesComesInPagesUnderTheAnswerCap() async throws {
        try await withFleetHistory { deps, day in
            var path = "/v1/history?since=\(Int(day.since.secondsSinceEpoch))&until=\(Int(day.until.secondsSinceEpoch))&step=1m"
            var seen: [String] = []
            var pages = 0
            while true {
                let (response, body) = try await get(path, deps)
                #expect(response.status == .ok)
                let page = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
                let series = try #require(page["series"] as? [[String: Any]])
                let points = series.reduce(0) { $0 + (($1["points"] as? [Any])?.count ?? 0) }
                #expect(points <= Self.maxBuckets, "page \(pages + 1) holds \(points) buckets, over the cap of \(Self.maxBuckets)")
                seen += series.map { "\($0["provider"] as? String ?? "?")/\($0["model"] as? String ?? "?")" }
                pages += 1
                guard let next = page["next"] as? String else {
                    #expect(response.headers[HTTPField.Name("Link")!] == nil)
                    break
                }
                #expect(response.headers[HTTPField.Name("Link")!] == "<\(next)>; rel=\"next\"")
                path = next
                try #require(pages < 20, "pages never end")
            }
            // 1,441 minute buckets per target (a day, plus the partial one): 34 targets a page.
            #expect(pages == 4, "\(pages) pages")
            #expect(seen.count == Self.targets, "\(seen.count) series over all pages")
            #expect(Set(seen).count == Self.targets, "a target came twice")
        }
    }

    @Test func aPageIsStreamedOneTargetAtATimeFromTheHeavyReadThreads() async throws {
        try await withFleetHistory { deps, day in
            let store = try #require(deps.history)
            let fetched = Mutex<(largest: Int, threads: Set<String>)>((0, []))
            let targets = deps.healthBook.snapshots().map(\.descriptor.target).sorted(by: HistoryCursor.precedes).prefix(34)
            let stream = HistoryStream(since: day.since, until: day.until, step: .minute, targets: Array(targets), next: "/v1/history?cursor=x",
                                       fetch: { target in
                let buckets = try store.history(HistoryQuery(provider: target.provider, model: target.model, since: day.since, until: day.until, step: .minute))
                let thread = Thread.current.name ?? "unnamed"
                fetched.withLock { $0.largest = max($0.largest, buckets.count); $0.threads.insert(thread) }
                return buckets
            }, heavy: deps.heavyReads)
            let chunks = Mutex<[Int]>([])
            var whole = ByteBuffer()
            let peak = try await stream.write { chunk in
                chunks.withLock { $0.append(chunk.readableBytes) }
                var copy = chunk
                whole.writeBuffer(&copy)
            }
            let sizes = chunks.withLock { $0 }
            // The frame, one chunk per target, the tail: never more than one target's series at once.
            #expect(sizes.count == targets.count + 2)
            #expect(peak.buckets <= 1441 && fetched.withLock { $0.largest } <= 1441)
            #expect(peak.chunkBytes == sizes.max(), "\(peak.chunkBytes) vs \(sizes.max() ?? 0)")
            #expect(peak.chunkBytes * 20 < whole.readableBytes, "one chunk of \(peak.chunkBytes) bytes of \(whole.readableBytes): not streamed")
            let threads = fetched.withLock { $0.threads }
            #expect(threads.allSatisfy { $0.hasPrefix("TP-") }, "history was read on \(threads), not the heavy-read pool's threads")
            let answer = try #require(try JSONSerialization.jsonObject(with: Data(whole.readableBytesView)) as? [String: Any])
            #expect((answer["series"] as? [Any])?.count == targets.count)
            #expect(answer["next"] as? String == "/v1/history?cursor=x")
        }
    }

    @Test func heavyReadsBeyondTheLimitGet503WithRetryAfterWhileRoutesAnswer() async throws {
        try await withFleetHistory { deps, _ in
            var held = [try deps.heavyReads.admit(), try deps.heavyReads.admit()]
            for path in ["/metrics", "/", "/v1/history?step=1h"] {
                let (response, body) = try await get(path, deps)
                #expect(response.status == .serviceUnavailable, "\(path)")
                #expect(response.headers[.retryAfter] == "1", "\(path)")
                #expect(String(decoding: body, as: UTF8.self).contains(#""code":"busy""#), "\(path)")
            }
            let (route, _) = try await get("/v1/route?model=model-0", deps)
            #expect(route.status == .ok, "routes are not heavy reads")
            held.removeLast()
            let (metrics, text) = try await get("/metrics", deps)
            #expect(metrics.status == .ok)
            #expect(String(decoding: text, as: UTF8.self).contains("switchyard_build_info"))
            #expect(deps.heavyReads.current == 1, "a finished heavy read kept its slot")
            held.removeAll()
            #expect(deps.heavyReads.current == 0)
        }
    }

    /// A client that ignores Retry-After cannot turn refusals into a flood: each refusal is held
    /// for `refusalDelay` before its 503 goes out (here an hour, cut short by canceling the caller).
    @Test func aRefusedHeavyReadIsHeldBeforeIts503() async throws {
        try await withFleetHistory(refusalDelay: .seconds(3600)) { deps, _ in
            let held = [try deps.heavyReads.admit(), try deps.heavyReads.admit()]
            let refused = Task { try await get("/metrics", deps) }
            while deps.heavyReads.refusalsWaiting == 0 { await Task.yield() }
            let (route, _) = try await get("/v1/route?model=model-0", deps)
            #expect(route.status == .ok, "routes answer while a refusal is held")
            #expect(deps.heavyReads.refusalsWaiting == 1, "the refusal went out before its delay")
            refused.cancel()
            let (response, body) = try await refused.value
            #expect(response.status == .serviceUnavailable && response.headers[.retryAfter] == "1")
            #expect(String(decoding: body, as: UTF8.self).contains(#""code":"busy""#))
            #expect(deps.heavyReads.refusalsWaiting == 0)
            withExtendedLifetime(held) {}
        }
    }

    @Test func aCursorThatIsNotOneIsABadParameter() async throws {
        try await withFleetHistory { deps, _ in
            for cursor in ["!!!", "bm9uZXdsaW5l", String(repeating: "A", count: 4000)] {
                let (response, body) = try await get("/v1/history?cursor=\(cursor)", deps)
                #expect(response.status == .badRequest, "\(cursor.prefix(20))")
                #expect(String(decoding: body, as: UTF8.self).contains("cursor:"))
            }
        }
    }
}

/// The day the load generator filled.
private struct Day {
    var since: Timestamp
    var until: Timestamp
}

/// API dependencies over a real store holding a day of probes (one a minute) for each of the
/// suite's targets, with at most two heavy reads at once.
private func withFleetHistory(refusalDelay: Duration = .zero, _ body: (APIDependencies, Day) async throws -> Void) async throws {
    try await withTemporaryDirectory { directory in
        let store = try SQLiteStore(path: directory + "/switchyard.db")
        var settings = StoreLoadGenerator.Settings()
        settings.targets = HistoryPagingTests.targets
        settings.days = 1
        settings.probeIntervalSeconds = 60
        settings.sampleIntervalDays = 1
        _ = try StoreLoadGenerator(settings: settings).run(into: store)
        let day = Day(since: settings.start, until: settings.start + 86_400)
        let descriptors = (0..<HistoryPagingTests.targets).map { index in
            TargetDescriptor(target: Target(provider: ProviderID("provider-\(index % 50)"), model: ModelName("model-\(index / 50)")),
                             upstreamModel: "m", baseURL: "http://127.0.0.1:9/v1", price: nil, preferenceOrder: index)
        }
        let clock = FixedWallClock(now: day.until)
        var deps = APIDependencies(healthBook: HealthBook(descriptors: descriptors, now: day.until), readiness: Readiness(),
                                   metrics: SwitchyardMetrics(targets: [], version: "test"), clock: clock, deliver: { _ in }, history: store)
        deps.heavyReads = HeavyReads(maxInFlight: 2, refusalDelay: refusalDelay)
        try await body(deps, day)
    }
}

private struct FixedWallClock: WallClock {
    var now_: Timestamp
    init(now: Timestamp) { now_ = now }
    func now() -> Timestamp { now_ }
}

/// One GET through the API's router (no socket), with the whole body read.
private func get(_ path: String, _ deps: APIDependencies) async throws -> (Response, Data) {
    // A testing channel is safe to use from any thread; finished at the end, so it and its
    // pipeline let go of each other (LeakSanitizer).
    let channel = NIOAsyncTestingChannel()
    let answer: (Response, Data)
    do {
        answer = try await exchange(path, deps, channel: channel)
    } catch {
        _ = try? await channel.finish()
        throw error
    }
    _ = try? await channel.finish()
    return answer
}

private func exchange(_ path: String, _ deps: APIDependencies, channel: NIOAsyncTestingChannel) async throws -> (Response, Data) {
    let responder = APIRoutes.router(deps).buildResponder()
    let context = APIRequestContext(source: ApplicationRequestContextSource(channel: channel, logger: Logger(label: "test")))
    let request = Request(head: HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: path), body: RequestBody(buffer: ByteBuffer()))
    let response: Response
    do {
        response = try await responder.respond(to: request, context: context)
    } catch let error as any HTTPResponseError {
        let answer = try error.response(from: request, context: context)
        let collected = Collected()
        try await answer.body.write(CollectingWriter(collected: collected))
        return (answer, collected.data)
    }
    let collected = Collected()
    try await response.body.write(CollectingWriter(collected: collected))
    return (response, collected.data)
}

private final class Collected: Sendable {
    private let bytes = Mutex<Data>(Data())
    var data: Data { bytes.withLock { $0 } }
    func append(_ buffer: ByteBuffer) { bytes.withLock { $0.append(contentsOf: buffer.readableBytesView) } }
}

private struct CollectingWriter: ResponseBodyWriter {
    let collected: Collected
    mutating func write(_ buffer: ByteBuffer) async throws { collected.append(buffer) }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
