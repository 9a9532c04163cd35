import Foundation
import SwitchyardConfig
import SwitchyardCore
import SwitchyardProbe
import SwitchyardSimulator
import Testing

@Suite(.timeLimit(.minutes(5))) struct ProbeTests {
    @Test func livenessSucceedsWhenTheModelIsListed() async throws {
        let result = try await probe(SimulatorBehavior(models: ["m1", "m2"], latencyMs: 5)) { probeTarget(port: $0) }
        #expect(result.outcome == .ok)
        #expect(result.httpStatus == 200)
        #expect(result.timings.total >= 0.005)
        #expect(result.timings.firstByte > 0)
    }

    @Test func livenessFailsWhenTheModelIsMissing() async throws {
        let result = try await probe(SimulatorBehavior(models: ["other"], latencyMs: 0)) { probeTarget(port: $0) }
        #expect(result.outcome == .failure(.modelNotFound))
        #expect(result.message == "model 'm1' is not listed by /models")
    }

    @Test func completionReadsUsageAndPricesIt() async throws {
        let price = Price(inputPerMTok: 1, outputPerMTok: 2)
        let result = try await probe(SimulatorBehavior(models: ["m1"], latencyMs: 1, completionTokens: 16)) {
            probeTarget(port: $0, mode: .completion, price: price)
        }
        #expect(result.outcome == .ok)
        #expect(result.tokensIn == 9)
        #expect(result.tokensOut == 16)
        #expect(result.costUSD == price.cost(tokensIn: 9, tokensOut: 16, seconds: result.timings.total))
        #expect(result.servedBy == "sim")
    }

    @Test func ollamaTagsListTheModel() async throws {
        let ok = try await probe(SimulatorBehavior(models: ["llama3.1:8b"], latencyMs: 0)) { probeTarget(port: $0, kind: .ollama, model: "llama3.1:8b") }
        #expect(ok.outcome == .ok)
        let missing = try await probe(SimulatorBehavior(models: ["llama3.1:8b"], latencyMs: 0)) { probeTarget(port: $0, kind: .ollama, model: "qwen") }
        #expect(missing.outcome == .failure(.modelNotFound))
    }

    @Test(arguments: [
        (SimulatorBehavior.Fault.serverError, ErrorClass.serverError),
        (.unauthorized, .auth),
        (.rateLimited, .rateLimited),
        (.garbage, .badResponse),
    ])
    func faultsMapToTheirErrorClass(fault: SimulatorBehavior.Fault, expected: ErrorClass) async throws {
        let result = try await probe(SimulatorBehavior(models: ["m1"], latencyMs: 0, fault: fault, retryAfterSeconds: 7)) {
            probeTarget(port: $0, mode: .completion)
        }
        #expect(result.outcome == .failure(expected))
        if expected == .rateLimited { #expect(result.retryAfterSeconds == 7) }
    }

    @Test func hangingProviderTimesOut() async throws {
        let result = try await probe(SimulatorBehavior(models: ["m1"], fault: .hang)) { probeTarget(port: $0, timeout: 0.3) }
        #expect(result.outcome == .failure(.timeout))
        #expect(result.timings.total < 1)
    }

    @Test func refusedConnectionIsClassified() async throws {
        await withStartedEngine { engine in
            let target = probeTarget(port: unusedLoopbackPort())
            let result = await ProberTable.prober(for: .openai).probe(target, using: engine, now: SystemWallClock().now())
            #expect(result.outcome == .failure(.connectRefused))
            #expect(result.httpStatus == nil)
        }
    }

    @Test func unresolvableHostIsDNS() async throws {
        await withStartedEngine { engine in
            var target = probeTarget(port: 80)
            target.baseURL = "http://switchyard-test.invalid/v1"
            let result = await ProberTable.prober(for: .openai).probe(target, using: engine, now: SystemWallClock().now())
            #expect(result.outcome == .failure(.dns))
        }
    }

    @Test func retryAfterAcceptsSecondsAndHTTPDates() {
        let now = Timestamp(secondsSinceEpoch: 1_800_000_000)
        #expect(RetryAfter.seconds(["retry-after": "12"], now: now) == 12)
        #expect(RetryAfter.seconds(["retry-after": "Fri, 15 Jan 2027 08:00:30 GMT"], now: now) == 30)
        #expect(RetryAfter.seconds(["retry-after": "soon"], now: now) == nil)
        // A provider's garbage is no wait at all, and no wait is longer than a day (both were kept
        // as is: `inf` reached the health book, the store's millisecond offsets and /v1/providers).
        for garbage in ["inf", "-inf", "1e999", "1e300", "nan", "-5", "Infinity", "1.5", "0x10"] {
            #expect(RetryAfter.seconds(["retry-after": garbage], now: now) == nil, "\(garbage)")
        }
        #expect(RetryAfter.seconds(["retry-after": "99999999999"], now: now) == RetryAfter.maxSeconds)
        #expect(RetryAfter.seconds(["retry-after": "Fri, 15 Jan 2100 08:00:30 GMT"], now: now) == RetryAfter.maxSeconds)
        // The obsolete forms RFC 9110 says to read, a date in the past (no wait), and near misses.
        #expect(RetryAfter.seconds(["retry-after": "Friday, 15-Jan-27 08:00:30 GMT"], now: now) == 30)
        #expect(RetryAfter.seconds(["retry-after": "Fri Jan 15 08:00:30 2027"], now: now) == 30)
        #expect(RetryAfter.seconds(["retry-after": " Fri, 15 Jan 2027 08:01:00 GMT\t"], now: now) == 60)
        #expect(RetryAfter.seconds(["retry-after": "Sun, 06 Nov 1994 08:49:37 GMT"], now: now) == 0)
        for nearMiss in ["Fri, 15 Jan 2027 08:00:30 UTC", "Fri, 15 Foo 2027 08:00:30 GMT", "Fri, 15 Jan 2027 25:00:30 GMT",
                         "Fri, 15 Jan 2027 08:00 GMT", "Fri, 99 Jan 2027 08:00:30 GMT", "Fri, 15 Jan 27 08:00:30 GMT"] {
            #expect(RetryAfter.seconds(["retry-after": nearMiss], now: now) == nil, "\(nearMiss)")
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct CurlEngineTests {
    @Test func manyConcurrentTransfersAllComplete() async throws {
        let simulator = ProviderSimulator(name: "sim", behavior: SimulatorBehavior(models: ["m1"], latencyMs: 20))
        try await withSimulatorAndEngine(simulator) { port, engine in
            let request = HTTPRequest(url: "http://127.0.0.1:\(port)/v1/models", connectTimeoutSeconds: 1, timeoutSeconds: 5)
            let statuses = await withTaskGroup(of: Int.self) { group in
                for _ in 0..<200 { group.addTask { await engine.perform(request).status } }
                return await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.count == 200)
            #expect(statuses.allSatisfy { $0 == 200 })
        }
    }

    @Test func bodyCapAbortsTheTransfer() async throws {
        let simulator = ProviderSimulator(name: "sim", behavior: SimulatorBehavior(models: (0..<500).map { "model-\($0)" }))
        try await withSimulatorAndEngine(simulator) { port, engine in
            let request = HTTPRequest(url: "http://127.0.0.1:\(port)/v1/models", connectTimeoutSeconds: 1, timeoutSeconds: 5, maxBodyBytes: 1024)
            let result = await engine.perform(request)
            #expect(result.failure == .bodyTooLarge)
            #expect(result.body.count <= 1024)
        }
    }

    @Test func cancellationEndsAHangingTransferPromptly() async throws {
        let simulator = ProviderSimulator(name: "sim", behavior: SimulatorBehavior(models: ["m1"], fault: .hang))
        try await withSimulatorAndEngine(simulator) { port, engine in
            let request = HTTPRequest(url: "http://127.0.0.1:\(port)/v1/models", connectTimeoutSeconds: 1, timeoutSeconds: 60)
            let task = Task { await engine.perform(request) }
            try await Task.sleep(for: .milliseconds(100))
            task.cancel()
            let result = await task.value
            #expect(result.failure == .canceled)
        }
    }
}
