import SwitchyardConfig
import SwitchyardCore
@testable import SwitchyardProbe
import Testing

/// The discovering provider's budget is one pool for all the `NAME.PARTNER` providers it made:
/// exact plans, instants in, actions out.
@Suite(.timeLimit(.minutes(1))) struct ProbeBudgetGroupTests {
    private typealias Plan = ProbePlan<ContinuousClock.Instant>
    private let t0 = ContinuousClock.now
    private let day = Timestamp(secondsSinceEpoch: 1_700_000_000)

    /// A completion target of partner provider `hf.PARTNER`, drawing on `hf`'s budget of `budget` USD.
    private func partnerTarget(_ partner: String, model: String, budget: Double?) -> ProbeTarget {
        var settings = ProbeSettings()
        settings.intervalSeconds = 60
        settings.mode = .completion
        return ProbeTarget(target: Target(provider: ProviderID("hf.\(partner)"), model: ModelName(model)), kind: .hfRouter,
                           baseURL: "http://127.0.0.1:9/v1", upstreamModel: "\(model):\(partner)", apiKey: nil, settings: settings,
                           price: Price(perRequest: 0.01), budgetUSDPerDay: budget, budgetOwner: ProviderID("hf"))
    }

    private func launches(_ actions: [ProbeAction<ContinuousClock.Instant>]) -> [ProbeLaunch<ContinuousClock.Instant>] {
        actions.compactMap { if case .launch(let launch) = $0 { launch } else { nil } }
    }

    /// Six partners × two models due together under 0.035 USD at 0.01 a probe: three completion
    /// probes in all (not three per partner), the rest lowered to liveness; the spend and the
    /// status are the discovering provider's, and no partner shows a budget of its own.
    @Test func partnersShareTheDiscoveringProvidersOneBudget() throws {
        let partners = ["a", "b", "c", "d", "e", "f"]
        let all = partners.flatMap { partner in ["m1", "m2"].map { partnerTarget(partner, model: $0, budget: 0.035) } }
        var plan = Plan(targets: all, seed: 42, startSpreadSeconds: 0, now: day)
        _ = plan.start(at: t0)
        let started = launches(plan.step(now: t0, wallTime: day))
        #expect(started.count == 12)
        #expect(started.filter { $0.target.settings.mode == .completion }.count == 3, "one pool: copied budgets would let 18 through")
        for launch in started {
            let finished = FinishedProbe(target: launch.target.target, generation: launch.generation, reservation: launch.reservation,
                                         costUSD: launch.reservation == nil ? nil : 0.01, delivered: true, nextInSeconds: 60,
                                         budgetProvider: launch.target.budgetProvider)
            _ = plan.finished(finished, now: t0 + .seconds(1), wallTime: day)
        }
        let statuses = plan.budgets.statuses(at: day)
        #expect(statuses.map(\.provider.rawValue) == ["hf"])
        let status = try #require(statuses.first)
        #expect(abs(status.spentTodayUSD - 0.03) < 1e-12)
        #expect(status.limitUSD == 0.035)
        #expect(status.completionProbesPaused)
    }

    /// A refresh that adds a partner keeps the pool's spend: the new partner finds it spent.
    @Test func aPartnerAddedByARefreshJoinsThePoolAsSpent() throws {
        var plan = Plan(targets: [partnerTarget("a", model: "m", budget: 0.02)], seed: 42, startSpreadSeconds: 0, now: day)
        _ = plan.start(at: t0)
        for launch in launches(plan.step(now: t0, wallTime: day)) {
            _ = plan.finished(FinishedProbe(target: launch.target.target, generation: launch.generation, reservation: launch.reservation,
                                            costUSD: 0.02, delivered: true, nextInSeconds: 60, budgetProvider: launch.target.budgetProvider),
                              now: t0, wallTime: day)
        }
        let (change, actions) = plan.reconfigure([partnerTarget("a", model: "m", budget: 0.02), partnerTarget("b", model: "m", budget: 0.02)],
                                                 at: t0, wallTime: day)
        #expect(change.added.map(\.provider.rawValue) == ["hf.b"])
        _ = actions
        let next = launches(plan.step(now: t0 + .seconds(1), wallTime: day))
        #expect(next.map(\.target.target.provider.rawValue) == ["hf.b"])
        #expect(next.allSatisfy { $0.target.settings.mode == .liveness }, "the pool is spent: the new partner probes liveness only")
    }
}
