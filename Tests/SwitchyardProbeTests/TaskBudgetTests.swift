import SwitchyardConfig
import SwitchyardCore
@testable import SwitchyardProbe
import Testing

/// The probe budget across tasks, on the plan's own instants and dates (a controlled clock): each
/// completion probe reserves its cost in its task's unit, dear image probes stop first, cheaper
/// speech and chat probes of the same provider go on until they would cross the day's budget
/// themselves, nothing ever spends past it, and the next UTC day starts afresh.
@Suite struct TaskBudgetTests {
    private typealias Plan = ProbePlan<ContinuousClock.Instant>
    private static let day = Timestamp(secondsSinceEpoch: 1_700_000_000)

    private static func target(_ model: String, _ task: InferenceTask, price: Price, budget: Double? = 0.10, timeout: Double = 10) -> ProbeTarget {
        var settings = ProbeSettings()
        settings.intervalSeconds = 60
        settings.timeoutSeconds = timeout
        settings.mode = .completion
        return ProbeTarget(target: Target(provider: ProviderID("p"), model: ModelName(model)), kind: .openai, baseURL: "http://127.0.0.1:9/v1",
                           upstreamModel: model, apiKey: nil, settings: settings, price: price, budgetUSDPerDay: budget, task: task)
    }

    @Test func eachTaskEstimatesItsProbeInItsOwnUnit() {
        let price = Price(inputPerMTok: 1, outputPerMTok: 2, perRequest: 0.001, perSecond: 0.0001, perImage: 0.04, perAudioSecond: 0.006)
        let expected: [(InferenceTask, Double)] = [
            (.chat, 0.000064 + 0.000032 + 0.002), (.completion, 0.000064 + 0.000032 + 0.002), (.embeddings, 0.000064 + 0.002),
            (.textToImage, 0.04 + 0.002), (.speechToText, 0.006 * TranscriptionProbe.clipSeconds + 0.002),
            (.textToSpeech, 0.006 * SpeechProbe.maxSpokenSeconds + 0.002), (.textToVideo, 0.002),
        ]
        for (task, usd) in expected {
            #expect(abs(Plan.estimatedCost(of: Self.target("m", task, price: price)) - usd) < 1e-12, "\(task)")
        }
        #expect(Plan.estimatedCost(of: ProbeTarget(target: Target(provider: ProviderID("p"), model: ModelName("m")), kind: .openai, baseURL: "",
                                                   upstreamModel: "m", apiKey: nil, settings: ProbeSettings(), price: nil, task: .textToImage)) == 0)
    }

    @Test func dearProbesStopFirstAndNoTaskCrossesTheSharedBudget() throws {
        let targets = [
            Self.target("image", .textToImage, price: Price(perImage: 0.04)),
            Self.target("speech", .speechToText, price: Price(perAudioSecond: 0.006)),
            Self.target("chat", .chat, price: Price(inputPerMTok: 1, outputPerMTok: 1)),
        ]
        var plan = Plan(targets: targets, seed: 7, startSpreadSeconds: 0, now: Self.day)
        let t0 = ContinuousClock.now
        _ = plan.start(at: t0)
        var completions: [String: [Int]] = [:]  // rounds in which each target ran a completion probe
        for round in 0..<40 {
            let now = t0 + .seconds(70 * round), wallTime = Self.day + Double(70 * round)
            let launches = plan.step(now: now, wallTime: wallTime).compactMap { if case .launch(let launch) = $0 { launch } else { nil } }
            #expect(launches.count == 3, "round \(round)")
            for launch in launches {
                if launch.target.settings.mode == .completion { completions[launch.target.upstreamModel, default: []].append(round) }
                // A completion probe costs what it reserved (its estimate); a liveness probe nothing.
                let finished = FinishedProbe(target: launch.target.target, generation: launch.generation, reservation: launch.reservation,
                                             costUSD: launch.reservation?.usd, delivered: true, nextInSeconds: 60)
                _ = plan.finished(finished, now: now + .seconds(1), wallTime: wallTime + 1)
            }
            let spent = try #require(plan.budgets.statuses(at: wallTime + 1).first).spentTodayUSD
            #expect(spent <= 0.10 + 1e-12, "round \(round): \(spent)")
        }
        // 2 images (0.08), then 3 clips (0.018 with the chat), then chat alone until 0.10 would be crossed.
        #expect(completions["image"] == [0, 1])
        #expect(completions["speech"] == [0, 1, 2])
        let chat = completions["chat"] ?? []
        #expect(chat.count >= 24 && chat.count <= 26, "\(chat)")
        #expect(chat == Array(0..<chat.count), "chat ran every round until it stopped")
        let status = try #require(plan.budgets.statuses(at: Self.day + 40 * 70).first)
        #expect(status.completionProbesPaused)
        #expect(status.spentTodayUSD > 0.0999)
        // The next UTC day every task probes by completion again.
        let tomorrow = plan.step(now: t0 + .seconds(70 * 40), wallTime: Self.day + 86_400)
            .compactMap { if case .launch(let launch) = $0 { launch } else { nil } }
        #expect(tomorrow.count == 3 && tomorrow.allSatisfy { $0.target.settings.mode == .completion && $0.reservation != nil })
    }

    @Test func aReservationRemembersItsTaskSoSettlingRaisesOnlyThatTasksDearest() throws {
        var budget = ProbeBudget(limitUSD: 1, now: Self.day)
        let reserved = budget.reserveCompletion(estimateUSD: 0.04, task: .textToImage, at: Self.day)
        let image = try #require(reserved)
        #expect(image.task == .textToImage)
        budget.settle(image, costUSD: 0.3, at: Self.day)  // dearer than estimated
        let chat = budget.reserveCompletion(estimateUSD: 0.01, task: .chat, at: Self.day)
        let nextImage = budget.reserveCompletion(estimateUSD: 0.04, task: .textToImage, at: Self.day)
        #expect(chat?.usd == 0.01)
        #expect(nextImage?.usd == 0.3)
    }
}
