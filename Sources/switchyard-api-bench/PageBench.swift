import ArgumentParser
import Foundation
import SwitchyardCore
import SwitchyardServer
import SwitchyardStore

/// The status page's cost at fleet size: a real SQLite file with an hour of rollups for
/// every target (written through the store's real write path), then `GET /`'s work —
/// one history read for the hour, one events read, the HTML — timed over several renders.
struct Page: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Time the status page (history read + HTML) with many targets.")

    @Option(help: "Targets, each probed every 10 s for the simulated hour.") var targets = 1000
    @Option(help: "Renders to time.") var renders = 20

    private struct FixedClock: WallClock {
        let instant: Timestamp
        func now() -> Timestamp { instant }
    }

    func run() throws {
        let directory = FileManager.default.temporaryDirectory.path + "/switchyard-page-bench-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStore(path: directory + "/switchyard.db")
        var settings = StoreLoadGenerator.Settings()
        settings.targets = targets
        settings.days = 1.0 / 24
        settings.probeIntervalSeconds = 10
        _ = try StoreLoadGenerator(settings: settings).run(into: store)

        // The generator's fleet: provider-(i % 50) serving model-(i / 50).
        let descriptors = (0..<targets).map { index in
            TargetDescriptor(target: Target(provider: ProviderID("provider-\(index % 50)"), model: ModelName("model-\(index / 50)")),
                             upstreamModel: "upstream-\(index)", baseURL: "http://127.0.0.1:1/v1",
                             price: Price(inputPerMTok: 0.2, outputPerMTok: 0.6), preferenceOrder: index)
        }
        let now = settings.start + 3600
        let book = HealthBook(descriptors: descriptors, now: now)
        let readiness = Readiness()
        readiness.update { $0.configLoaded = true; $0.warmStarted = true }
        let deps = APIDependencies(healthBook: book, readiness: readiness,
                                   metrics: SwitchyardMetrics(targets: descriptors.map { MetricsTarget($0.target, kind: "openai") }, version: "bench"),
                                   clock: FixedClock(instant: now), deliver: { _ in }, history: store)
        var timings: [Double] = []
        var bytes = 0
        var sparklines = 0
        for _ in 0..<renders {
            let started = monotonicNanoseconds()
            let html = StatusPage.html(deps)
            timings.append(Double(monotonicNanoseconds() - started) / 1e6)
            bytes = html.utf8.count
            sparklines = html.components(separatedBy: "<path class=\"latency\"").count - 1
        }
        timings.sort()
        print("status page: \(targets) targets, an hour of minute rollups each; \(sparklines) sparklines with data, \(bytes / 1024) KiB of HTML")
        print(String(format: "render (history read + HTML): median %.1f ms, max %.1f ms over %d renders",
                     timings[timings.count / 2], timings.last ?? 0, renders))
    }
}
