import SwitchyardCore
import Testing

private let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000)
private let model = ModelName("m")

/// A target of `task` fed `count` outcomes through the real state machine and statistics:
/// successes take `seconds` (and hear `audio` seconds of audio when given); failures as scripted.
private func snapshot(_ provider: String, task: InferenceTask, order: Int = 0, price: Price? = nil, seconds: Double, audio: Double? = nil,
                      failures: [Bool] = [], count: Int = 20) -> TargetSnapshot {
    let target = Target(provider: ProviderID(provider), model: model)
    var health = TargetHealth(since: t0)
    var stats = TargetStats()
    for index in 0..<count {
        let failed = failures.isEmpty ? false : failures[index % failures.count]
        var o = Observation(target: target, source: .report, startedAt: t0 + Double(index), outcome: failed ? .failure(.serverError) : .ok,
                            totalSeconds: seconds)
        o.audioSeconds = audio
        stats.record(o, weight: 1, halfLifeSeconds: 300)
        _ = health.observe(o, policy: HealthPolicy())
    }
    let descriptor = TargetDescriptor(target: target, upstreamModel: provider, baseURL: "http://\(provider)", price: price, preferenceOrder: order,
                                      task: task)
    return TargetSnapshot(descriptor: descriptor, health: health, stats: stats)
}

/// Each task is scored on its own figure and priced in its own unit, and says so in its reasons.
@Suite struct TaskScoringTests {
    let ranker = RouteRanker()
    let now = t0 + 600

    private func rank(_ snapshots: [TargetSnapshot], _ task: InferenceTask, _ strategy: RoutingStrategy = .balanced) -> Route {
        ranker.rank(snapshots, query: RouteQuery(model: model, strategy: strategy, task: task), now: now)
    }

    @Test func imagesRankOnSecondsPerImageAndSpeakInThem() {
        let route = rank([snapshot("slow", task: .textToImage, price: Price(perImage: 0.004), seconds: 41),
                          snapshot("fast", task: .textToImage, order: 1, price: Price(perImage: 0.03), seconds: 2.1)], .textToImage)
        #expect(route.candidates.map(\.provider.rawValue) == ["fast", "slow"])
        #expect(route.candidates[0].reasons == ["p50 2.1 s per image over 20 samples", "$0.03 per image"])
        #expect(route.candidates[1].reasons == ["p50 41 s per image over 20 samples", "$0.004 per image"])
        #expect(route.candidates[1].pricePerRequest == 0.004)
    }

    @Test func cheapestRanksOnCostPerSuccessfulImage() {
        let cheapFlaky = snapshot("cheap", task: .textToImage, price: Price(perImage: 0.002), seconds: 30, failures: [false, false, false, true])
        let dear = snapshot("dear", task: .textToImage, order: 1, price: Price(perImage: 0.003), seconds: 30)
        let cheapest = rank([cheapFlaky, dear], .textToImage, .cheapest)
        // 0.002 / 0.75 ≈ 0.0027 < 0.003: still the cheap one per successful image.
        #expect(cheapest.candidates.first?.provider.rawValue == "cheap")
        let dearer = snapshot("cheap", task: .textToImage, price: Price(perImage: 0.0028), seconds: 30, failures: [false, false, false, true])
        #expect(rank([dearer, dear], .textToImage, .cheapest).candidates.first?.provider.rawValue == "dear", "0.0028 / 0.75 > 0.003")
    }

    @Test func speechToTextRanksOnComputePerAudioSecond() {
        // "long" took longer per request but transcribed five times as much audio.
        let long = snapshot("long", task: .speechToText, price: Price(perAudioSecond: 0.0001), seconds: 6, audio: 50)
        let short = snapshot("short", task: .speechToText, order: 1, seconds: 3, audio: 10)
        let route = rank([short, long], .speechToText)
        #expect(route.candidates.map(\.provider.rawValue) == ["long", "short"])
        #expect(route.candidates[0].reasons == ["0.12 s compute per audio s over 20 samples", "$0.0001 per audio s"])
        #expect(route.candidates[1].reasons == ["0.30 s compute per audio s over 20 samples"])
        #expect(ranker.figureSeconds(long) == 0.12 * 30)
        #expect(route.candidates[0].pricePerRequest == 0.003, "30 s of audio at $0.0001")
    }

    @Test func latencyAndFastestRankNonTextTasksOnTheirFigure() {
        let a = snapshot("a", task: .embeddings, seconds: 0.35)
        let b = snapshot("b", task: .embeddings, order: 1, seconds: 0.2)
        for strategy in [RoutingStrategy.latency, .fastest, .balanced] {
            #expect(rank([a, b], .embeddings, strategy).candidates.map(\.provider.rawValue) == ["b", "a"], "\(strategy)")
        }
        #expect(rank([a], .embeddings).candidates[0].reasons == ["p50 0.35 s per request over 20 samples"])
    }

    @Test func embeddingsArePricedPer1MTokensOfATypicalRequest() {
        let route = rank([snapshot("e", task: .embeddings, price: Price(inputPerMTok: 0.02), seconds: 0.2)], .embeddings)
        #expect(route.candidates[0].pricePerRequest == 0.02 * 500 / 1_000_000)
        #expect(route.candidates[0].reasons.last == "$0.02 per 1M tokens")
    }

    @Test func chatIsScoredAndDescribedAsBefore() {
        let chat = snapshot("c", task: .chat, price: Price(inputPerMTok: 1, outputPerMTok: 2), seconds: 0.5)
        let route = rank([chat], .chat)
        #expect(route.candidates[0].reasons == ["p50 latency 500 ms over 20 samples"])
        #expect(route.candidates[0].pricePerRequest == (500 * 1.0 + 200 * 2.0) / 1_000_000)
    }
}

/// Reports of every task flow and count: the audio heard and the images made are kept and priced.
@Suite struct TaskReportTests {
    private func validate(_ report: ClientReport, task: InferenceTask, price: Price) -> Result<Observation, ReportFailure> {
        let descriptor = TargetDescriptor(target: Target(provider: ProviderID("p"), model: model), upstreamModel: "m", baseURL: "http://p",
                                          price: price, preferenceOrder: 0, task: task)
        return ReportValidator().validate(report, now: t0, descriptor: { $0 == descriptor.target ? descriptor : nil })
    }

    private func report(audio: Double? = nil, images: Int? = nil) -> ClientReport {
        ClientReport(provider: "p", model: "m", startedAt: .unixSeconds(t0.secondsSinceEpoch - 10), outcome: "ok", totalMs: 3000,
                     audioSeconds: audio, images: images)
    }

    @Test func aTranscriptionReportKeepsItsAudioAndIsPricedPerAudioSecond() throws {
        let observation = try validate(report(audio: 60), task: .speechToText, price: Price(perAudioSecond: 0.0001)).get()
        #expect(observation.audioSeconds == 60)
        #expect(observation.costUSD == 0.006)
        var stats = TargetStats()
        stats.record(observation, weight: 2, halfLifeSeconds: 300)
        #expect(stats.computePerAudioSecond.p50 == 0.05)
    }

    @Test func anImageReportIsPricedPerImageOneWhenUnsaid() throws {
        #expect(try validate(report(), task: .textToImage, price: Price(perImage: 0.004)).get().costUSD == 0.004)
        #expect(try validate(report(images: 3), task: .textToImage, price: Price(perImage: 0.004)).get().costUSD == 0.012)
    }

    @Test func impossibleAudioOrImagesAreRefused() {
        #expect(throws: ReportFailure.self) { try validate(report(audio: -1), task: .speechToText, price: Price()).get() }
        #expect(throws: ReportFailure.self) { try validate(report(images: -2), task: .textToImage, price: Price()).get() }
    }
}
