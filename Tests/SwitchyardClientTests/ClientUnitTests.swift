import Foundation
import Synchronization
@testable import SwitchyardClient
import SwitchyardCore
import Testing

/// The client's own logic with a controlled clock and seeded jitter; the daemon is down, so
/// routes come from the static order (which is also the fallback under test).
@Suite(.timeLimit(.minutes(5))) struct ClientUnitTests {
    static let order = [
        ProviderCandidate(provider: "a", upstreamModel: "m-a", baseURL: "http://127.0.0.1:1/v1"),
        ProviderCandidate(provider: "b", upstreamModel: "m-b", baseURL: "http://127.0.0.1:2/v1"),
        ProviderCandidate(provider: "c", upstreamModel: "m-c", baseURL: "http://127.0.0.1:3/v1"),
    ]

    func client(clock: ManualClock = ManualClock(), slept: Recorder<Double> = Recorder(), seed: UInt64 = 7,
                configure: (inout ClientOptions) -> Void = { _ in }) -> SwitchyardClient {
        var options = ClientOptions()
        options.clock = clock.wall
        options.staticRoutes = ["m": Self.order]
        options.seed = seed
        options.sleep = { slept.append($0) }
        configure(&options)
        return SwitchyardClient(endpoint: .unixSocket(absentDaemonSocket()), options: options)
    }

    @Test func routeCacheKeepsAnEntryForItsTTLOnly() {
        let clock = ManualClock()
        let cache = RouteCache(ttl: 0.5, clock: clock.wall)
        let key = RouteCache.Key(model: "m", strategy: "")
        let route = ResolvedRoute(model: "m", candidates: Self.order, source: .daemon)
        cache.put(key, route)
        clock.advance(by: .milliseconds(490))
        #expect(cache.get(key) == route)
        clock.advance(by: .milliseconds(20))
        #expect(cache.get(key) == nil)
        cache.put(key, route)
        cache.invalidate(model: "m")
        #expect(cache.get(key) == nil)
    }

    @Test func backoffIsFullJitterExponentialCappedAndSeeded() {
        let first = client(seed: 42) { $0.backoffBaseSeconds = 0.1; $0.backoffCapSeconds = 0.5 }
        let again = client(seed: 42) { $0.backoffBaseSeconds = 0.1; $0.backoffCapSeconds = 0.5 }
        let delays = (0..<400).map { first.backoffDelay(afterFailure: $0 % 5) }
        #expect(delays == (0..<400).map { again.backoffDelay(afterFailure: $0 % 5) })
        for (index, delay) in delays.enumerated() {
            #expect(delay >= 0 && delay < min(0.5, 0.1 * Double(1 << (index % 5))))
        }
        #expect(delays.enumerated().filter { $0.offset % 5 == 4 }.map(\.element).max()! > 0.4)
        #expect(Set(delays.enumerated().filter { $0.offset % 5 == 0 }.map(\.element)).count == 80)
    }

    @Test func failoverTriesInOrderBacksOffAndSurfacesEveryError() async throws {
        let slept = Recorder<Double>()
        let sy = client(slept: slept)
        let tried = Recorder<String>()
        let served = try await sy.withFailover(model: "m") { candidate in
            tried.append(candidate.provider)
            if candidate.provider == "a" { throw ProviderHTTPError(status: 503) }
            return candidate.upstreamModel
        }
        #expect(served == "m-b")
        #expect(tried.values == ["a", "b"])
        #expect(slept.values.count == 1 && slept.values[0] < 0.02)

        // `a` cools down: tried last now. When every candidate fails, every error is in the answer.
        do {
            _ = try await sy.withFailover(model: "m") { candidate -> String in
                tried.append(candidate.provider)
                throw ProviderHTTPError(status: candidate.provider == "b" ? 429 : 500)
            }
            Issue.record("all candidates failed, yet withFailover returned")
        } catch let error as FailoverError {
            #expect(error.attempts.map(\.candidate.provider) == ["b", "c", "a"])
            #expect(error.attempts.map(\.errorClass) == [.rateLimited, .serverError, .serverError])
            #expect(error.description.contains("b (m-b): rate_limited 429"))
        }
        #expect(slept.values.count == 3)
        #expect(slept.values[2] < 0.04)
    }

    @Test func anAttemptThatOverrunsItsTimeoutIsAbandonedAndReportedAsTimeout() async throws {
        // The attempts hang on the same manual clock that times them: nothing here waits in real time.
        let timer = ManualClock()
        let sy = client { $0.attemptTimeoutSeconds = 0.2; $0.attemptClock = timer }
        let first = Task {
            try await sy.withFailover(model: "m") { candidate in
                if candidate.provider == "a" { try await timer.sleep(for: .seconds(60)) }
                return candidate.provider
            }
        }
        await timer.waitForSleepers(2)  // a's attempt and its timeout
        timer.advance(by: .milliseconds(199))
        #expect(timer.sleeperCount == 2)  // not yet
        timer.advance(by: .milliseconds(1))
        #expect(try await first.value == "b")

        let hanging = Task {
            try await sy.withFailover(model: "m") { _ -> String in try await timer.sleep(for: .seconds(60)); return "" }
        }
        for _ in 0..<3 {
            await timer.waitForSleepers(2)
            timer.advance(by: .milliseconds(200))
        }
        do {
            _ = try await hanging.value
            Issue.record("every attempt hangs, so withFailover must throw")
        } catch let error as FailoverError {
            #expect(error.attempts.count == 3 && error.attempts.allSatisfy { $0.errorClass == .timeout })
        }
        #expect(timer.now.offset == .milliseconds(800))
        #expect(timer.sleeperCount == 0)
    }

    @Test func staticFallbackIsLoggedOnceAndReportsToADownDaemonAreCountedAsFailed() async throws {
        let sy = client()
        for _ in 0..<5 {
            let route = try await sy.candidates(model: "m")
            #expect(route.source == .fallback && route.candidates == Self.order)
        }
        #expect(!sy.fallbackNotice.daemonFailed())  // already noted (and logged) by the first call
        #expect(try await sy.candidates(model: "unknown").candidates.isEmpty)
        await #expect(throws: FailoverError.self) { try await sy.withFailover(model: "unknown") { $0.provider } }
        sy.report(OutcomeReport(provider: "a", model: "m", startedAt: 1_800_000_000, outcome: "ok", totalMs: 10))
        await sy.flushReports()
        #expect(sy.reportStats.failed == 1 && sy.reportStats.sent == 0)
    }

    @Test func reportBufferIsBoundedAndAddNeverWaitsForTheSender() async throws {
        let gate = DispatchSemaphore(value: 0)
        let shipped = Recorder<Int>()
        let buffer = ReportBuffer(capacity: 3, batchSize: 1, interval: 0.01) { batch, _ in
            gate.wait()
            shipped.append(batch.count)
        }
        let report = OutcomeReport(provider: "a", model: "m", startedAt: 0, outcome: "server_error", totalMs: 1)
        let added = (0..<10).map { _ in buffer.add(report) }  // returns while the sender is stuck
        #expect(added.filter { !$0 }.count == buffer.stats.dropped)
        #expect(buffer.stats.dropped >= 6)
        for _ in 0..<10 { gate.signal() }
        await buffer.flush()
        #expect(buffer.stats.sent == 10 - buffer.stats.dropped)
        #expect(shipped.values.reduce(0, +) == buffer.stats.sent)
    }
}
