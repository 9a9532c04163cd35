import Foundation
@testable import SwitchyardClient
import SwitchyardCore
import Testing

/// `withFailover(model:task:)`: the route asked for the task's targets, reports that name the
/// task, and each attempt bounded by the task's own timeout (on a manual clock).
@Suite(.serialized, .timeLimit(.minutes(2))) struct ClientTaskTests {
    @Test func theRouteIsAskedForTheTaskAndTheReportsNameIt() async throws {
        let provider = try ClientTrustTests.provider(statuses: ["flux-down": 503])
        let daemon = try ClientTrustTests.daemon(route: ClientTrustTests.route([
            ("down", "flux-down", provider.url + "/v1"), ("up", "flux-up", provider.url + "/v1"),
        ]))
        defer { [daemon, provider].forEach { $0.stop() } }
        var options = ClientOptions()
        options.sleep = { _ in }
        let sy = SwitchyardClient(endpoint: .url(daemon.url), options: options)

        let served = try await sy.withFailover(model: "flux", task: .textToImage, audioSeconds: 1.5) { candidate in
            try await ClientTrustTests.chat(sy, candidate)
        }
        #expect(served == "flux-up")
        _ = try await sy.withFailover(model: "flux") { $0.upstreamModel }
        await sy.flushReports()

        #expect(daemon.requests(to: "/v1/route").map(\.path) == ["/v1/route?model=flux&task=text-to-image", "/v1/route?model=flux"])
        let reports = daemon.requests(to: "/v1/reports").flatMap { $0.json["reports"] as? [[String: Any]] ?? [] }
        #expect(reports.map { $0["task"] as? String } == ["text-to-image", "text-to-image", nil])
        #expect(reports.map { $0["outcome"] as? String } == ["server_error", "ok", "ok"])
        #expect(reports.map { $0["audio_seconds"] as? Double } == [1.5, 1.5, nil])
    }

    @Test func aFortyFiveSecondImageIsNotCutButAFortyFiveSecondEmbeddingIs() async throws {
        let timer = ManualClock()
        var options = ClientOptions()
        options.attemptClock = timer
        options.sleep = { _ in }
        options.staticRoutes = ["m": [ProviderCandidate(provider: "a", upstreamModel: "m-a", baseURL: "http://127.0.0.1:1/v1")]]
        let sy = SwitchyardClient(endpoint: .unixSocket(absentDaemonSocket()), options: options)
        #expect(options.attemptTimeout(for: .chat) == 30 && options.attemptTimeout(for: .textToVideo) == 300)

        func fortyFiveSeconds(_ task: InferenceTask) -> Task<String, any Error> {
            Task {
                try await sy.withFailover(model: "m", task: task) { candidate in
                    try await timer.sleep(for: .seconds(45))
                    return candidate.provider
                }
            }
        }
        let image = fortyFiveSeconds(.textToImage)
        await timer.waitForSleepers(2)  // the attempt and its 60 s timeout
        timer.advance(by: .seconds(45))
        #expect(try await image.value == "a")

        let embedding = fortyFiveSeconds(.embeddings)
        await timer.waitForSleepers(2)  // the attempt and its 10 s timeout
        timer.advance(by: .seconds(10))
        do {
            _ = try await embedding.value
            Issue.record("a 45 s embeddings attempt must be cut at 10 s")
        } catch let error as FailoverError {
            #expect(error.attempts.map(\.errorClass) == [.timeout])
        }
        timer.advance(by: .seconds(35))  // release the abandoned attempt's sleep
    }
}
