import Foundation
import SwitchyardConfig
import SwitchyardCore
import SwitchyardProbe
import SwitchyardSimulator
import Testing

private let secretKey = "sk-switchyard-test-SECRET-4242"

/// A fault of the simulator, the probe settings that meet it, and the class it must produce.
struct FaultCase: Sendable, CustomTestStringConvertible {
    var fault: SimulatorBehavior.Fault
    var mode: ProbeMode
    var expected: ErrorClass
    var behavior: @Sendable (inout SimulatorBehavior) -> Void = { _ in }
    var settings: @Sendable (inout ProbeSettings) -> Void = { _ in }
    var testDescription: String { "\(fault.rawValue) (\(mode.rawValue)) -> \(expected.rawValue)" }
}

/// Every error class of the taxonomy, each produced by the real fault that causes it.
@Suite(.timeLimit(.minutes(5))) struct ErrorClassTests {
    static let simulatorFaults: [FaultCase] = [
        FaultCase(fault: .hang, mode: .liveness, expected: .timeout, settings: { $0.timeoutSeconds = 0.4; $0.connectTimeoutSeconds = 0.4 }),
        FaultCase(fault: .unauthorized, mode: .completion, expected: .auth),
        FaultCase(fault: .rateLimited, mode: .completion, expected: .rateLimited),
        FaultCase(fault: .serverError, mode: .completion, expected: .serverError),
        FaultCase(fault: .none, mode: .completion, expected: .serverError, behavior: { $0.burstCount = 3 }),
        FaultCase(fault: .garbage, mode: .liveness, expected: .badResponse),
        FaultCase(fault: .garbage, mode: .completion, expected: .badResponse),
        FaultCase(fault: .truncated, mode: .completion, expected: .badResponse, behavior: { $0.completionTokens = 8 }),
        FaultCase(fault: .truncated, mode: .liveness, expected: .badResponse),
        FaultCase(fault: .reset, mode: .liveness, expected: .badResponse),
        FaultCase(fault: .stall, mode: .completion, expected: .streamStalled, settings: { $0.timeoutSeconds = 5 }),
        FaultCase(fault: .slowDrip, mode: .completion, expected: .timeout, settings: { $0.timeoutSeconds = 0.6 }),
        FaultCase(fault: .oversized, mode: .completion, expected: .bodyTooLarge, settings: { $0.maxBodyBytes = 256 * 1024 }),
        FaultCase(fault: .oversized, mode: .liveness, expected: .bodyTooLarge, settings: { $0.maxBodyBytes = 256 * 1024 }),
    ]

    @Test(arguments: simulatorFaults)
    func simulatorFaultProducesItsClass(_ fault: FaultCase) async throws {
        var behavior = SimulatorBehavior(models: ["m1"], latencyMs: 0, fault: fault.fault, retryAfterSeconds: 7)
        fault.behavior(&behavior)
        let result = try await probe(behavior) { port in
            probeTarget(port: port, mode: fault.mode, key: secretKey, configure: fault.settings)
        }
        #expect(result.outcome == .failure(fault.expected), "\(result.message ?? "")")
        #expect(!(result.message ?? "").contains(secretKey))
        #expect(!(result.message ?? "").isEmpty)
        if fault.expected == .rateLimited { #expect(result.retryAfterSeconds == 7) }
    }

    @Test func stallIsDetectedByTheIdleTimeoutNotTheTotal() async throws {
        let start = ContinuousClock.now
        let result = try await probe(SimulatorBehavior(models: ["m1"], latencyMs: 0, fault: .stall)) {
            probeTarget(port: $0, mode: .completion, timeout: 20)
        }
        #expect(result.outcome == .failure(.streamStalled))
        #expect(result.httpStatus == 200)
        #expect(ContinuousClock.now - start < .seconds(5), "the 1 s idle timeout, not the 20 s total")
    }

    @Test func missingModelIsModelNotFound() async throws {
        let completion = try await probe(SimulatorBehavior(models: ["other"], latencyMs: 0)) { probeTarget(port: $0, mode: .completion) }
        #expect(completion.outcome == .failure(.modelNotFound))
        #expect(completion.httpStatus == 404)
        let liveness = try await probe(SimulatorBehavior(models: ["other"], latencyMs: 0)) { probeTarget(port: $0) }
        #expect(liveness.outcome == .failure(.modelNotFound))
    }

    @Test func unresolvableHostIsDNS() async {
        var target = probeTarget(port: 80, key: secretKey)
        target.baseURL = "http://switchyard-probe-test.invalid/v1"
        let result = await probeDirect(target)
        #expect(result.outcome == .failure(.dns))
        #expect(!(result.message ?? "").contains(secretKey))
    }

    @Test func closedPortIsConnectRefused() async {
        let result = await probeDirect(probeTarget(port: unusedLoopbackPort(), key: secretKey))
        #expect(result.outcome == .failure(.connectRefused))
        #expect(result.httpStatus == nil)
    }

    @Test func refusingAtRunTimeIsConnectRefusedUntilItAcceptsAgain() async throws {
        let board = SimulatorSwitchboard([ProviderSimulator(name: "sim", behavior: SimulatorBehavior(models: ["m1"], latencyMs: 0))])
        try await board.withRunning { board in
            try await withStartedEngine { engine in
                let port = try #require(board.ports["sim"])
                func once() async -> ProbeResult {
                    await ProberTable.prober(for: .openai).probe(probeTarget(port: port), using: engine, now: SystemWallClock().now())
                }
                #expect(await once().outcome == .ok)
                await board.refuse("sim")
                #expect(await once().outcome == .failure(.connectRefused))
                await board.accept("sim")
                #expect(board.ports["sim"] == port)
                #expect(await once().outcome == .ok)
            }
        }
    }

    @Test func droppedSYNIsConnectTimeout() async {
        let listener = FullBacklogListener()
        let start = ContinuousClock.now
        let result = await probeDirect(probeTarget(port: listener.port, timeout: 3) { $0.connectTimeoutSeconds = 0.3 })
        #expect(result.outcome == .failure(.connectTimeout), "\(result.message ?? "")")
        #expect(ContinuousClock.now - start < .seconds(2))
        withExtendedLifetime(listener) {}
    }

    @Test func selfSignedCertificateIsTLS() async throws {
        let server = try SelfSignedTLSServer()
        var target = probeTarget(port: server.port, key: secretKey)
        target.baseURL = "https://127.0.0.1:\(server.port)/v1"
        let result = await probeDirect(target)
        #expect(result.outcome == .failure(.tls), "\(result.message ?? "")")
        #expect(!(result.message ?? "").contains(secretKey))
        withExtendedLifetime(server) {}
    }

    @Test func cancelingAProbeIsCanceled() async throws {
        let simulator = ProviderSimulator(name: "sim", behavior: SimulatorBehavior(models: ["m1"], fault: .hang))
        try await withSimulatorAndEngine(simulator) { port, engine in
            let target = probeTarget(port: port, mode: .completion, timeout: 30)
            let task = Task { await ProberTable.prober(for: .openai).probe(target, using: engine, now: SystemWallClock().now()) }
            // Bounded wait until the request reached the simulator, then cancel.
            for _ in 0..<200 where simulator.requestCount == 0 { try await Task.sleep(for: .milliseconds(10)) }
            task.cancel()
            let result = await task.value
            #expect(result.outcome == .failure(.canceled))
        }
    }

    @Test func everyClassOfTheTaxonomyIsCoveredAbove() {
        let covered = Set(Self.simulatorFaults.map(\.expected)).union([.modelNotFound, .dns, .connectRefused, .connectTimeout, .tls, .canceled])
        #expect(covered == Set(ErrorClass.allCases))
    }
}
