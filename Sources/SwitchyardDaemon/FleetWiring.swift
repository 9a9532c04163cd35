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
        // Decided per observation, so a reload's new targets publish too.
        outbox = FleetOutbox(shouldPublish: FleetOutbox.sharesReportsAndCompletionProbes)
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

extension FleetWiring {
    /// Who runs each paid completion probe, shared through PostgreSQL (nil without `fleet:` or
    /// with a URL that cannot be resolved: the service reports that). Probing alone, and sharing
    /// again, are each an event and show in `/readyz` as the fleet's problem.
    static func probeDuty(config: Configuration, pipeline: ObservationPipeline, readiness: Readiness, clock: any WallClock,
                          environment: [String: String], logger: Logger) -> FleetProbeDuty? {
        guard let settings = config.fleet,
              let connector = try? FleetConnector(settings: settings, resolver: SecretResolver(environment: environment), logger: logger)
        else { return nil }
        var options = FleetProbeDuty.Options(group: settings.group, host: settings.host)
        options.retentionSeconds = settings.retentionSeconds
        let prefix = "probe duty: "
        return FleetProbeDuty(connector: connector, options: options, logger: logger) { alone, reason in
            readiness.update { status in
                if alone, status.fleetProblem == nil { status.fleetProblem = prefix + (reason ?? "unreachable") }
                if !alone, status.fleetProblem?.hasPrefix(prefix) == true { status.fleetProblem = nil }
            }
            let message = alone
                ? "the fleet cannot be asked who runs paid probes (\(reason ?? "unreachable")): probing alone within this host's share of each budget"
                : "the fleet answers again: paid probes are shared"
            pipeline.record(DaemonEvent(at: clock.now(), kind: .fleetProbeDuty, caller: "daemon", message: message))
        }
    }
}

extension FleetWiring {
    /// Fleet-wide drains: records `drain --fleet` and follows the group's (nil without `fleet:`
    /// or with a URL that cannot be resolved). A followed drain is recorded like a local one,
    /// by its caller and host.
    static func drains(config: Configuration, healthBook: HealthBook, pipeline: ObservationPipeline, clock: any WallClock,
                       environment: [String: String], logger: Logger) -> FleetDrains? {
        guard let settings = config.fleet,
              let connector = try? FleetConnector(settings: settings, resolver: SecretResolver(environment: environment), logger: logger)
        else { return nil }
        return FleetDrains(connector: connector, group: settings.group, host: settings.host, logger: logger) { row in
            guard let transitions = healthBook.setDraining(row.draining, provider: row.provider, at: clock.now(), by: row.followedBy) else { return }
            pipeline.record(transitions)
            logger.notice("\(row.draining ? "drained" : "undrained") by \(row.followedBy)", metadata: ["provider": "\(row.provider)", "event": "admin"])
        }
    }
}

extension ObservationPipeline {
    /// Folds peers' observations into health through the same state machine (at their weight),
    /// without storing them (each host's SQLite keeps its own history). A peer's client reports
    /// wait, like this host's, for a probe: the peer's completion probe when it shares one, else
    /// this host's own (asked for at once; liveness stays per host, so a peer's is never shared).
    /// Transitions they cause name the host that saw them.
    func deliverRemote(_ observations: [Observation]) {
        for observation in observations.compactMap({ $0.bounded() }) {  // a peer's figures, bounded as this host's
            let update = healthBook.apply(observation)
            if update.probeNow { probeRequests.request(observation.target) }
            let seenBy = observation.seenBy ?? "a peer"
            record(update.transitions.map { transition in
                var marked = transition
                marked.reason += "; seen by host \(seenBy) (fleet)"
                return marked
            })
        }
    }
}
