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
        print("Catalog priors: regret before every target has \(ScoringPolicy().catalogPriorWeight) local samples (the priors' time) and after, with and without the catalog:")
        print(pad("scenario", 28) + pad("evidence at", 13) + pad("priors: before", 16) + pad("after", 8) + pad("no catalog: before", 20) + "after")
        for (strategy, right) in [(RoutingStrategy.balanced, false), (.fastest, false), (.balanced, true), (.fastest, true)] {
            let scenario = ScenarioCatalogue.catalog(strategy, right: right)
            let primed = RoutingSimulation(scenario: scenario).run()
            let plain = RoutingSimulation(scenario: scenario, priors: false, splitAt: primed.evidenceAt).run()
            print(pad(scenario.name, 28) + pad(seconds(primed.evidenceAt), 13) + pad(percent(primed.regretBeforeEvidence), 16)
                  + pad(percent(primed.regretAfterEvidence), 8) + pad(percent(plain.regretBeforeEvidence), 20) + percent(plain.regretAfterEvidence))
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
