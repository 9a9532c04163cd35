import Foundation
import Logging
import Synchronization
import SwitchyardConfig
import SwitchyardCore
import SwitchyardProbe
import SwitchyardServer

/// What one side of the benchmark measured over its window.
struct LoadReport: Codable, Sendable {
    var side: String
    var windowSeconds: Double
    var probes: Int
    var failures: [String: Int]
    var cpuSeconds: Double
    var rssMiB: Double
    var peakRSSMiB: Double
    var latenessP50Ms: Double
    var latenessP99Ms: Double
    var latenessMaxMs: Double

    var cpuPerThousandProbes: Double { probes > 0 ? cpuSeconds / Double(probes) * 1000 : 0 }
}

/// Runs a `ProbeScheduler` over many targets for a warm-up and a measured window, and
/// reports probes, failures and scheduling lateness in the window. `measure` gives the
/// CPU and memory of whichever process is being measured (this one, or blackbox_exporter).
struct ProbeLoad {
    var side: String
    var targets: [ProbeTarget]
    /// Targets whose lateness is not reported (the hung provider's own).
    var excludedFromLateness: Set<ProviderID> = []
    var warmupSeconds: Double
    var windowSeconds: Double
    var measure: @Sendable () -> ProcessStats?
    /// Which of the daemon's in-memory sinks get the observations; none measures the engine alone.
    var sinks: Sinks = .all

    /// The daemon's in-memory observation sinks.
    enum Sinks: String, CaseIterable, Sendable { case none, health, metrics, all }

    func run() async throws -> LoadReport {
        let engine = CurlEngine(maxHostConnections: 64)
        engine.start()
        defer { engine.shutdown() }
        let descriptors = targets.enumerated().map { index, target in
            TargetDescriptor(target: target.target, upstreamModel: target.upstreamModel, baseURL: target.baseURL, price: nil, preferenceOrder: index)
        }
        // The daemon's in-memory sinks: health book and metrics (no SQLite, no HTTP API). The next
        // probe is always the health book's answer, as in the daemon; with the health sink off it
        // sees no observations, so it answers the interval.
        let healthBook = HealthBook(descriptors: descriptors, now: SystemWallClock().now())
        let observed = sinks == .health || sinks == .all ? healthBook : nil
        let metrics = sinks == .metrics || sinks == .all ? SwitchyardMetrics(targets: targets.map { MetricsTarget($0.target, kind: $0.kind.rawValue) }, version: "bench") : nil
        let window = Mutex<(open: Bool, lateness: [Double], probes: Int, failures: [String: Int])>((false, [], 0, [:]))
        let excluded = excludedFromLateness
        let scheduler = ProbeScheduler(targets: targets, maxConcurrentProbes: 256, startSpreadSeconds: 10, dependencies: .init(
            transport: engine, wallClock: SystemWallClock(), clock: engine.clock,
            deliver: { observation in
                _ = observed?.observe(observation)
                metrics?.record(observation)
                guard !excluded.contains(observation.target.provider) else { return }
                window.withLock { state in
                    guard state.open else { return }
                    state.probes += 1
                    if case .failure(let errorClass) = observation.outcome { state.failures[errorClass.rawValue, default: 0] += 1 }
                }
            },
            nextProbeAt: { target, now, interval in healthBook.nextProbe(of: target, after: now, interval: interval) },
            onLateness: { target, late in
                guard !excluded.contains(target.provider) else { return }
                window.withLock { state in if state.open { state.lateness.append(late) } }
            },
            executor: engine,  // as the daemon wires it
            logger: Logger(label: "bench")
        ))
        let task = Task { try await scheduler.run() }
        try await Task.sleep(for: .seconds(warmupSeconds))
        let before = measure()
        window.withLock { $0.open = true }
        let opened = ContinuousClock.now
        try await Task.sleep(for: .seconds(windowSeconds))
        window.withLock { $0.open = false }
        let elapsed = (ContinuousClock.now - opened) / .seconds(1)
        let after = measure()
        task.cancel()
        _ = try? await task.value
        let state = window.withLock { $0 }
        return LoadReport(
            side: side, windowSeconds: elapsed, probes: state.probes, failures: state.failures,
            cpuSeconds: (after?.cpuSeconds ?? 0) - (before?.cpuSeconds ?? 0),
            rssMiB: after?.rssMiB ?? 0, peakRSSMiB: after?.peakRSSMiB ?? 0,
            latenessP50Ms: percentile(state.lateness, 50) * 1000, latenessP99Ms: percentile(state.lateness, 99) * 1000,
            latenessMaxMs: (state.lateness.max() ?? 0) * 1000
        )
    }

    /// `count` liveness targets spread over the simulators at `ports`, one provider per port.
    static func targets(ports: [Int], count: Int, interval: Double, providerPrefix: String = "sim",
                        url: (Int) -> String = { "http://127.0.0.1:\($0)/v1" }, kind: ProviderKind = .openai) -> [ProbeTarget] {
        var settings = ProbeSettings()
        settings.intervalSeconds = interval
        settings.timeoutSeconds = 5
        settings.connectTimeoutSeconds = 2
        settings.mode = .liveness
        settings.maxConcurrentPerProvider = 32
        return (0..<count).map { index in
            let port = ports[index % ports.count]
            return ProbeTarget(
                target: Target(provider: ProviderID("\(providerPrefix)\(index % ports.count)"), model: ModelName("model-\(index)")),
                kind: kind, baseURL: url(port), upstreamModel: "m", apiKey: nil, settings: settings, price: nil
            )
        }
    }
}
