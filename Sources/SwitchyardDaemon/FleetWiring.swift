import Logging
import SwitchyardConfig
import SwitchyardCore
import SwitchyardFleet

/// The fleet's parts when `fleet:` is set: the outbox the pipeline records into, and the service
/// that publishes it and feeds peers' evidence back. Without `fleet:` there are none: no
/// connection, no task, nothing on the pipeline.
struct FleetWiring {
    let outbox: FleetOutbox

    /// Nil without `fleet:`.
    init?(config: Configuration) {
        guard config.fleet != nil else { return nil }
        // Completion probes are evidence other hosts use; liveness probes stay per host (each
        // host's network path is its own). Reports are always shared.
        let completion = Set(config.providers.flatMap { provider in
            provider.models.filter { $0.probe.mode == .completion }.map { Target(provider: provider.name, model: $0.name) }
        })
        outbox = FleetOutbox { observation in observation.source == .report || completion.contains(observation.target) }
    }

    /// The service, delivering peers' observations through `pipeline`.
    func service(config: Configuration, pipeline: ObservationPipeline, healthBook: HealthBook, readiness: Readiness,
                 clock: any WallClock, environment: [String: String], logger: Logger) -> FleetService? {
        guard let settings = config.fleet else { return nil }
        return FleetService(parts: .init(
            settings: settings, outbox: outbox,
            // remote_weight 0 keeps peers' evidence out of health altogether (a failure would still count as consecutive).
            deliver: { observations in if settings.remoteWeight > 0 { pipeline.deliverRemote(observations) } },
            unhealthyTargets: {
                healthBook.stateCounts().filter { $0.key != .healthy && $0.key != .unknown }.values.reduce(0, +)
            },
            reportProblem: { problem in readiness.update { $0.fleetProblem = problem } },
            clock: clock, environment: environment, version: SwitchyardVersion.current, logger: logger
        ))
    }
}

extension ObservationPipeline {
    /// Folds peers' observations into health through the same state machine (at their weight),
    /// without storing them (each host's SQLite keeps its own history) and without probing to
    /// confirm (the peer that saw them did). Transitions they cause name the host that saw them.
    func deliverRemote(_ observations: [Observation]) {
        for observation in observations {
            let update = healthBook.apply(observation)
            let seenBy = observation.seenBy ?? "a peer"
            record(update.transitions.map { transition in
                var marked = transition
                marked.reason += "; seen by host \(seenBy) (fleet)"
                return marked
            })
        }
    }
}
