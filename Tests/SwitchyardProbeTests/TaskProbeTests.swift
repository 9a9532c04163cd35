import SwitchyardConfig
import SwitchyardCore
@testable import SwitchyardProbe
import SwitchyardSimulator
import Testing

/// Probes of embeddings, image, speech and video targets against the real simulator on
/// 127.0.0.1 through the libcurl engine: liveness by default touches no paid endpoint, a
/// completion probe checks its answer with `TaskAnswers`, and a broken answer is a failed probe
/// with a clear class and message, never a crash.
@Suite(.timeLimit(.minutes(3))) struct TaskProbeTests {
    private static func behavior(_ fault: SimulatorBehavior.Fault = .none, task: SimulatorTaskFault = .none) -> SimulatorBehavior {
        var behavior = SimulatorBehavior(models: ["m1"], latencyMs: 5, fault: fault)
        behavior.taskFault = task
        return behavior
    }

    private static func completion(_ task: InferenceTask, _ behavior: SimulatorBehavior = behavior(), price: Price? = nil,
                                   model: String = "m1") async throws -> ProbeResult {
        try await probe(behavior) { port in probeTarget(port: port, model: model, mode: .completion, timeout: 5, price: price, task: task) }
    }

    @Test func theTableHandsNonChatTasksToTheTaskProbe() {
        #expect(ProberTable.prober(for: .openai, task: .textToImage) is TaskProbe)
        #expect(ProberTable.prober(for: .hfRouter, task: .embeddings) is TaskProbe)
        #expect(ProberTable.prober(for: .vllm, task: .speechToText) is TaskProbe)
        #expect(ProberTable.prober(for: .openai, task: .chat) is OpenAIProbe)
        #expect(ProberTable.prober(for: .openai, task: .completion) is OpenAIProbe)
        #expect(ProberTable.prober(for: .http, task: .textToVideo) is HTTPGetProbe)
    }

    @Test(arguments: [InferenceTask.embeddings, .textToImage, .speechToText, .textToSpeech, .textToVideo])
    func aLivenessProbeOfAnyTaskOnlyReadsTheModelList(task: InferenceTask) async throws {
        let simulator = ProviderSimulator(name: "sim", behavior: Self.behavior())
        let result = try await withSimulatorAndEngine(simulator) { port, engine in
            let target = probeTarget(port: port, mode: .liveness, task: task)
            return await ProberTable.prober(for: .openai, task: task).probe(target, using: engine, now: SystemWallClock().now())
        }
        #expect(result.outcome == .ok)
        #expect(simulator.stats["completion_requests"] == 0, "no paid request")
    }

    @Test func anEmbeddingsProbeChecksTheVectorAndCountsItsTokens() async throws {
        let result = try await Self.completion(.embeddings, price: Price(inputPerMTok: 1_000_000))
        #expect(result.outcome == .ok, "\(result.message ?? "")")
        #expect(result.tokensIn == 6)
        #expect(result.costUSD == 6)
    }

    @Test func anEmptyVectorIsAFailedProbe() async throws {
        let result = try await Self.completion(.embeddings, Self.behavior(task: .emptyVector))
        #expect(result.outcome == .failure(.badResponse))
        #expect(result.message?.contains("empty") == true, "\(result.message ?? "")")
        #expect(result.costUSD == nil)
    }

    @Test func anImageProbeGetsAWholeImageAndCostsOneImage() async throws {
        let result = try await Self.completion(.textToImage, price: Price(perImage: 0.04))
        #expect(result.outcome == .ok, "\(result.message ?? "")")
        #expect(result.costUSD == 0.04)
        #expect(result.timings.total > 0)
    }

    /// The probe asks for its target's `image_size` (256x256 unless the config says otherwise).
    @Test(arguments: [nil, "512x512"])
    func anImageProbeAsksForItsConfiguredSize(size: String?) async throws {
        let simulator = ProviderSimulator(name: "sim", behavior: Self.behavior())
        let result = try await withSimulatorAndEngine(simulator) { port, engine in
            var target = probeTarget(port: port, mode: .completion, timeout: 5, task: .textToImage)
            if let size { target.settings.imageSize = size }
            return await ProberTable.prober(for: .openai, task: .textToImage).probe(target, using: engine, now: SystemWallClock().now())
        }
        #expect(result.outcome == .ok, "\(result.message ?? "")")
        let asked = try #require(simulator.recordedRequests.last { $0.path == "/v1/images/generations" })
        #expect(String(decoding: asked.body, as: UTF8.self).contains(#""size":"\#(size ?? "256x256")""#), "\(String(decoding: asked.body, as: UTF8.self))")
    }

    @Test(arguments: [(SimulatorBehavior.Fault.none, SimulatorTaskFault.truncatedPNG, "truncated PNG"),
                      (.garbage, .none, "not an image answer"),
                      (.truncated, .none, "")])
    func aBrokenImageAnswerIsABadResponse(fault: SimulatorBehavior.Fault, task: SimulatorTaskFault, says: String) async throws {
        let result = try await Self.completion(.textToImage, Self.behavior(fault, task: task))
        #expect(result.outcome == .failure(.badResponse))
        #expect(result.message.map { says.isEmpty || $0.contains(says) } == true, "\(result.message ?? "")")
    }

    @Test func aSpeechToTextProbeUploadsItsClipAndRecordsItsSeconds() async throws {
        let simulator = ProviderSimulator(name: "sim", behavior: Self.behavior())
        let result = try await withSimulatorAndEngine(simulator) { port, engine in
            let target = probeTarget(port: port, mode: .completion, timeout: 5, price: Price(perAudioSecond: 0.006), task: .speechToText)
            return await ProberTable.prober(for: .openai, task: .speechToText).probe(target, using: engine, now: SystemWallClock().now())
        }
        #expect(result.outcome == .ok, "\(result.message ?? "")")
        #expect(result.audioSeconds == 1)
        #expect(result.costUSD == 0.006)
        let upload = try #require(simulator.recordedRequests.last)
        #expect(upload.path == "/v1/audio/transcriptions")
        #expect(upload.header("content-type")?.hasPrefix("multipart/form-data; boundary=") == true)
        let observation = result.observation(of: Target(provider: ProviderID("sim"), model: ModelName("m")), startedAt: Timestamp(secondsSinceEpoch: 0))
        #expect(observation.audioSeconds == 1)
    }

    @Test func aTranscriptionThatIsNotJSONIsABadResponse() async throws {
        let result = try await Self.completion(.speechToText, Self.behavior(.garbage))
        #expect(result.outcome == .failure(.badResponse))
        #expect(result.message?.contains("not a transcription") == true, "\(result.message ?? "")")
    }

    @Test func aTextToSpeechProbeGetsWholeAudio() async throws {
        let result = try await Self.completion(.textToSpeech, price: Price(perAudioSecond: 0.01))
        #expect(result.outcome == .ok, "\(result.message ?? "")")
        #expect(result.audioSeconds.map { abs($0 - 0.2) < 0.001 } == true)
        #expect(result.costUSD.map { abs($0 - 0.002) < 1e-9 } == true)
        let cut = try await Self.completion(.textToSpeech, Self.behavior(task: .truncatedWAV))
        #expect(cut.outcome == .failure(.badResponse))
        #expect(cut.message?.contains("truncated WAV") == true, "\(cut.message ?? "")")
    }

    @Test func aVideoProbeFollowsTheJobToItsContent() async throws {
        let simulator = ProviderSimulator(name: "sim", behavior: Self.behavior())
        let result = try await withSimulatorAndEngine(simulator) { port, engine in
            let target = probeTarget(port: port, mode: .completion, timeout: 5, price: Price(perRequest: 0.5), task: .textToVideo)
            return await ProberTable.prober(for: .openai, task: .textToVideo).probe(target, using: engine, now: SystemWallClock().now())
        }
        #expect(result.outcome == .ok, "\(result.message ?? "")")
        #expect(result.costUSD == 0.5)
        #expect(simulator.recordedRequests.map(\.path) == ["/v1/videos"])
        #expect(simulator.recordedRequests.first?.header("content-type") == "application/json")
        let garbage = try await Self.completion(.textToVideo, Self.behavior(.garbage))
        #expect(garbage.outcome == .failure(.badResponse))
        #expect(garbage.message?.contains("not a video job") == true, "\(garbage.message ?? "")")
    }

    @Test(arguments: [InferenceTask.embeddings, .textToImage, .speechToText, .textToSpeech, .textToVideo])
    func providerFailuresKeepTheirClass(task: InferenceTask) async throws {
        #expect(try await Self.completion(task, Self.behavior(.serverError)).outcome == .failure(.serverError))
        #expect(try await Self.completion(task, model: "unknown").outcome == .failure(.modelNotFound))
    }
}
