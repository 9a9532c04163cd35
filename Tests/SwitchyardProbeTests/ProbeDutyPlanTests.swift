import SwitchyardConfig
import SwitchyardCore
@testable import SwitchyardProbe
import Testing

private typealias Instant = ContinuousClock.Instant
private typealias Plan = ProbePlan<Instant>
/// 2023-11-14T22:13:20Z: interval slot 170,000,000 at 10 s, UTC day 19,675.
private let wallTime = Timestamp(secondsSinceEpoch: 1_700_000_000)

private func target(_ model: String, mode: ProbeMode, budget: Double? = nil) -> ProbeTarget {
    var settings = ProbeSettings()
    settings.intervalSeconds = 10
    settings.mode = mode
    return ProbeTarget(target: Target(provider: ProviderID("p"), model: ModelName(model)), kind: .openai,
                       baseURL: "http://127.0.0.1:9/v1", upstreamModel: model, apiKey: nil, settings: settings,
                       price: Price(perRequest: 0.01), budgetUSDPerDay: budget)
}

/// Probe duty as a gate in the plan: which launches claim a slot, and what each answer makes of them.
@Suite(.timeLimit(.minutes(1))) struct ProbeDutyPlanTests {
    let t0 = ContinuousClock.now

    /// A started plan (no start-up spread) stepped once at t0: every target launched, by model.
    private func launched(_ targets: [ProbeTarget], claimsDuty: Bool = true) -> (Plan, [ProbeLaunch<Instant>]) {
        var plan = Plan(targets: targets, seed: 7, startSpreadSeconds: 0, now: wallTime)
        plan.claimsDuty = claimsDuty
        _ = plan.start(at: t0)
        let launches = plan.step(now: t0, wallTime: wallTime).compactMap { action -> ProbeLaunch<Instant>? in
            if case .launch(let launch) = action { launch } else { nil }
        }
        return (plan, launches.sorted { $0.target.target.model.rawValue < $1.target.target.model.rawValue })
    }

    private func paused(_ plan: Plan) -> Bool { plan.budgets.statuses(at: wallTime).first?.completionProbesPaused ?? false }

    @Test func aCompletionProbeClaimsItsIntervalSlotAndALivenessProbeNever() {
        let (_, launches) = launched([target("a", mode: .completion, budget: 1), target("b", mode: .liveness)])
        let claim = launches[0].duty
        #expect(claim == ProbeDutyClaim(target: Target(provider: ProviderID("p"), model: ModelName("a")), budgetProvider: ProviderID("p"),
                                        slot: 170_000_000, day: 19_675, estimateUSD: 0.01, limitUSD: 1))
        #expect(launches[1].duty == nil)
        // Without a fleet nothing is claimed.
        #expect(launched([target("a", mode: .completion, budget: 1)], claimsDuty: false).1[0].duty == nil)
    }

    @Test func aWonSlotKeepsTheCompletionProbeAndItsClaim() {
        var (plan, launches) = launched([target("a", mode: .completion, budget: 1)])
        let after = plan.applyDuty(.won, to: launches[0], wallTime: wallTime)
        #expect(after.target.settings.mode == .completion)
        #expect(after.reservation != nil)
        #expect(after.duty == launches[0].duty)
    }

    @Test(arguments: [ProbeDutyAnswer.taken(by: "web-02"), .taken(by: nil), .budgetSpent])
    func aSlotNotWonProbesLivenessAndFreesItsReservation(answer: ProbeDutyAnswer) {
        // A budget for one probe: the launch's reservation fills it until the answer frees it.
        var (plan, launches) = launched([target("a", mode: .completion, budget: 0.01)])
        #expect(paused(plan))
        let after = plan.applyDuty(answer, to: launches[0], wallTime: wallTime)
        #expect(after.target.settings.mode == .liveness)
        #expect(after.reservation == nil)
        #expect(after.duty == nil)
        #expect(!paused(plan))
    }

    @Test func anUnreachableFleetLetsThisHostSpendItsShareOnly() {
        // 0.04 a day among 4 hosts: this host's share is one probe of 0.01; two were launched together.
        var (plan, launches) = launched([target("a", mode: .completion, budget: 0.04), target("b", mode: .completion, budget: 0.04)])
        let first = plan.applyDuty(.unreachable(hostsSeen: 4), to: launches[0], wallTime: wallTime)
        let second = plan.applyDuty(.unreachable(hostsSeen: 4), to: launches[1], wallTime: wallTime)
        #expect([first, second].map(\.target.settings.mode) == [.liveness, .completion])
        #expect(second.duty == nil)  // nothing to settle with a fleet that could not be asked
        // Alone (1 host seen) both fit in the whole budget.
        var (alone, both) = launched([target("a", mode: .completion, budget: 0.04), target("b", mode: .completion, budget: 0.04)])
        #expect(both.map { alone.applyDuty(.unreachable(hostsSeen: 1), to: $0, wallTime: wallTime).target.settings.mode } == [.completion, .completion])
    }

    @Test func aLaunchWithoutAClaimIsLeftAsItIs() {
        var (plan, launches) = launched([target("b", mode: .liveness)])
        let after = plan.applyDuty(.taken(by: nil), to: launches[0], wallTime: wallTime)
        #expect(after.target.settings.mode == .liveness)
        #expect(after.duty == nil)
    }
}
