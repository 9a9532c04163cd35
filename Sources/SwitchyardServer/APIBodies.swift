import SwitchyardCore
import SwitchyardWire

// The daemon's values as the generated wire types of openapi/switchyard.json (SwitchyardWire).

extension Wire.TargetState {
    /// The same state; the document lists every one (WireMappingTests, which also checks the strategies).
    init(_ state: TargetState) {
        guard let value = Self(rawValue: state.rawValue) else { preconditionFailure("state \(state) is not in openapi/switchyard.json") }
        self = value
    }
}

extension Wire.InferenceTask {
    /// The same task; the document lists every one (WireMappingTests).
    init(_ task: InferenceTask) {
        guard let value = Self(rawValue: task.rawValue) else { preconditionFailure("task \(task) is not in openapi/switchyard.json") }
        self = value
    }
}

extension Wire.Capabilities {
    /// What a target can serve, as known now; unknown fields left out.
    init(_ capabilities: Capabilities) {
        let modalities = { (set: Set<Modality>?) in set.map { set in Modality.allCases.filter(set.contains).map { Wire.Modality(rawValue: $0.rawValue)! } } }
        self.init(contextLength: capabilities.contextLength, inputModalities: modalities(capabilities.inputModalities),
                  outputModalities: modalities(capabilities.outputModalities), structuredOutput: capabilities.structuredOutput,
                  tools: capabilities.tools)
    }
}

extension Wire.Target {
    /// One target in `GET /v1/providers`; its capabilities as routes see them at `now` (learned ones included).
    init(_ snapshot: TargetSnapshot, successRate: Double, now: Timestamp) {
        let health = snapshot.health
        let stats = snapshot.stats
        self.init(capabilities: Wire.Capabilities(snapshot.capabilities(at: now)), consecutiveFailures: health.consecutiveFailures,
                  ejectedUntil: health.state == .ejected ? health.ejectedUntil?.rfc3339 : nil,
                  lastError: stats.lastError?.rawValue, lastErrorAt: stats.lastErrorAt?.rfc3339, lastErrorMessage: stats.lastErrorMessage,
                  lastObservedAt: stats.lastObservedAt?.rfc3339, latencyP50Ms: stats.total.p50.map { $0 * 1000 },
                  latencyP99Ms: stats.total.p99.map { $0 * 1000 }, model: snapshot.descriptor.target.model.rawValue,
                  origin: snapshot.descriptor.origin == .discovered ? "discovered" : "configured",
                  retryAt: health.state == .rateLimited ? health.retryAt?.rfc3339 : nil, samples: stats.samples,
                  state: Wire.TargetState(health.state), stateSince: health.since.rfc3339, successRate: successRate,
                  task: Wire.InferenceTask(snapshot.descriptor.task), ttftP50Ms: stats.ttft.p50.map { $0 * 1000 }, upstreamModel: snapshot.descriptor.upstreamModel)
    }
}

extension Wire.ProbeBudget {
    /// A provider's probe budget today: when it is spent, completion probes pause until `resets_at`.
    init(_ status: ProbeBudgetStatus) {
        self.init(completionProbesPaused: status.completionProbesPaused, limitUSD: status.limitUSD, remainingUSD: status.remainingUSD,
                  resetsAt: status.resetsAt.rfc3339, spentTodayUSD: status.spentTodayUSD)
    }
}

extension Wire.Readiness {
    /// `GET /readyz` answer.
    init(_ status: Readiness.Status) {
        let pending = status.discoveryPending.subtracting(status.discoveryProblems.keys).map { ($0, "first catalog read running") }
        let discovery = (status.discoveryProblems.map { ($0.key, $0.value) } + pending).sorted { $0.0 < $1.0 }.map { "\($0.0): \($0.1)" }
            .joined(separator: "; ")
        self.init(configLoaded: status.configLoaded, databaseRecovered: status.databaseRecovered,
                  discoveryProblem: discovery.isEmpty ? nil : discovery, firstProbeRoundDone: status.firstProbeRoundDone,
                  fleetProblem: status.fleetProblem,
                  ready: status.isReady, reloadProblem: status.reloadProblem, storageProblem: status.storageProblem, warmStarted: status.warmStarted)
    }
}
