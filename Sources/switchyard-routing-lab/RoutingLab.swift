import Foundation
import SwitchyardCore
import SwitchyardRoutingLab

/// `switchyard-routing-lab`: runs every routing scenario on a simulated clock and times
/// `route(model)` in-process. Build it in release mode for the timings (`make bench-routing`).
@main
enum RoutingLab {
    static func main() {
        print("Routing scenarios (simulated clock, probes every 10 s, client requests 10/s with failover):")
        print(pad("scenario", 38) + pad("requests", 10) + pad("failed", 8) + pad("1st-fail", 10) + pad("leave top", 11) + pad("recover", 9) + pad("top chg", 9) + pad("regret", 8) + "panic")
        for scenario in ScenarioCatalogue.all {
            let r = RoutingSimulation(scenario: scenario).run()
            print(pad(r.scenario, 38) + pad("\(r.requests)", 10) + pad("\(r.failedRequests)", 8) + pad("\(r.firstAttemptFailures)", 10)
                  + pad(seconds(r.timeToLeaveTop), 11) + pad(seconds(r.timeToRecover), 9) + pad("\(r.topPickChanges)", 9)
                  + pad(String(format: "%.1f%%", r.regret * 100), 8) + "\(r.panicRoutes)\(r.panicAlwaysListed ? "" : " (EMPTY!)")")
        }
        print("")
        let weight = ScoringPolicy().catalogPriorWeight
        print("Catalog priors: regret before every target has \(weight) local sample\(weight == 1 ? "" : "s") and after, with the catalog and without (split where both runs have it):")
        print(pad("scenario", 28) + pad("evidence at", 13) + pad("priors: before", 16) + pad("after", 8) + pad("no catalog: before", 20) + "after")
        for (strategy, right) in [(RoutingStrategy.balanced, false), (.fastest, false), (.balanced, true), (.fastest, true)] {
            let scenario = ScenarioCatalogue.catalog(strategy, right: right)
            // Split both runs where both have local evidence (the later of their two moments).
            let split = [true, false].compactMap { RoutingSimulation(scenario: scenario, priors: $0).run().evidenceAt }.max()
            let primed = RoutingSimulation(scenario: scenario, splitAt: split).run()
            let plain = RoutingSimulation(scenario: scenario, priors: false, splitAt: split).run()
            print(pad(scenario.name, 28) + pad(seconds(split), 13) + pad(percent(primed.regretBeforeEvidence), 16)
                  + pad(percent(primed.regretAfterEvidence), 8) + pad(percent(plain.regretBeforeEvidence), 20) + percent(plain.regretAfterEvidence))
        }
        print("")
        print("The prior's weight (local samples it counts as), balanced: regret over the first 60 s, with the catalog and without,")
        print("with each request's time jittered by ±10 % and by 0.5-2x:")
        print(pad("weight", 8) + pad("wrong ±10%", 12) + pad("right ±10%", 12) + pad("none ±10%", 11) + pad("wrong 0.5-2x", 14) + pad("right 0.5-2x", 14) + "none 0.5-2x")
        let jitters: [ClosedRange<Double>] = [0.9...1.1, 0.5...2.0]
        let plain = jitters.map { RoutingSimulation(scenario: ScenarioCatalogue.catalog(.balanced, jitter: $0), priors: false, splitAt: 60).run().regretBeforeEvidence }
        for weight in [1, 2, 3, 5] {
            var scoring = ScoringPolicy()
            scoring.catalogPriorWeight = weight
            let regrets = jitters.map { jitter in
                [false, true].map { right in
                    RoutingSimulation(scenario: ScenarioCatalogue.catalog(.balanced, right: right, jitter: jitter), splitAt: 60, scoring: scoring).run().regretBeforeEvidence
                }
            }
            print(pad("\(weight)", 8) + pad(percent(regrets[0][0]), 12) + pad(percent(regrets[0][1]), 12) + pad(percent(plain[0]), 11)
                  + pad(percent(regrets[1][0]), 14) + pad(percent(regrets[1][1]), 14) + percent(plain[1]))
        }
        print("")
        print("Text-to-image (priced per image; cheap 40 s $0.002, flaky 3 s 40 % failures $0.006, dear 4 s $0.02):")
        print(pad("strategy", 12) + pad("top pick", 10) + pad("answered", 10) + pad("s per image (expected)", 24) + pad("USD per image", 15) + "top reasons")
        for strategy in [RoutingStrategy.balanced, .cheapest, .latency] {
            let r = RoutingSimulation(scenario: ScenarioCatalogue.textToImage(strategy)).run()
            let top = r.lastRoute?.candidates.first
            print(pad(strategy.rawValue, 12) + pad(top?.provider.rawValue ?? "-", 10) + pad("\(r.answeredRequests)/\(r.requests)", 10)
                  + pad(String(format: "%.1f s", r.meanExpectedSeconds), 24)
                  + pad(String(format: "$%.4f", r.answeredRequests > 0 ? r.spentUSD / Double(r.answeredRequests) : 0), 15)
                  + (top?.reasons.joined(separator: "; ") ?? ""))
        }
        print("")
        print("route(model) in-process, balanced strategy, release build recommended:")
        for size in [3, 10, 100] {
            let (median, p99) = RouteBenchmark(targets: size).measure()
            print("  \(pad("\(size) targets", 12)) median \(String(format: "%.2f", median)) µs   p99 \(String(format: "%.2f", p99)) µs")
        }
    }

    static func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count + 1), withPad: " ", startingAt: 0) }
    static func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }
    static func seconds(_ value: Double?) -> String { value.map { String(format: "%.1f s", $0) } ?? "-" }
}
