import Logging
import Synchronization
import SwitchyardCore

/// Fans each observation out: health first (which may yield a transition), then every
/// sink (store writer, metrics) gets the observation and the transition. A probe's
/// observation is everything it measured (phases, tokens per second, the serving provider),
/// so no sink needs a second channel; the probe budget counts the same result's cost in the
/// scheduler's plan.
struct ObservationPipeline: Sendable {
    let healthBook: HealthBook
    let sinks: [any ObservationSink]
    let logger: Logger

    /// Where the health book's "probe this target now" goes: the probe scheduler, connected once it exists.
    let probeRequests = ProbeRequests()

    func deliver(_ observation: Observation) {
        // A provider's or caller's absurd figures are brought into range before anything derives from them.
        guard let observation = observation.bounded() else {
            logger.warning("dropped an observation whose start is not a believable time", metadata: [
                "provider": "\(observation.target.provider)", "model": "\(observation.target.model)",
            ])
            return
        }
        let update = healthBook.apply(observation)
        for sink in sinks { sink.record(observation) }
        record(update.transitions)
        if update.probeNow {
            logger.info("probing at once to confirm a caller's reports", metadata: [
                "provider": "\(observation.target.provider)", "model": "\(observation.target.model)",
                "caller": "\(observation.reporter ?? "unattributed")", "event": "confirming_probe",
            ])
            probeRequests.request(observation.target)
        }
    }

    /// Hands transitions to every sink and the journal: those of observations, and admin ones (drain, undrain).
    func record(_ transitions: [Transition]) {
        for transition in transitions {
            for sink in sinks { sink.record(transition) }
            log(transition)
        }
    }

    /// Hands a daemon-wide event (a reload) to every sink; the reloader logs it itself.
    func record(_ event: DaemonEvent) {
        for sink in sinks { sink.record(event) }
    }

    private func log(_ transition: Transition) {
        logger.info("target \(transition.from.rawValue) -> \(transition.to.rawValue): \(transition.reason)", metadata: [
            "provider": "\(transition.target.provider)", "model": "\(transition.target.model)", "event": "state_transition",
        ])
    }
}

/// A late-bound "probe this target now": the pipeline exists before the scheduler it asks.
final class ProbeRequests: Sendable {
    private let handler = Mutex<(@Sendable (Target) -> Void)?>(nil)

    /// Sends every later request to `probeNow`.
    func connect(_ probeNow: @escaping @Sendable (Target) -> Void) { handler.withLock { $0 = probeNow } }

    /// Asks for a probe of `target` at once (dropped before `connect`).
    func request(_ target: Target) {
        let probeNow = handler.withLock { $0 }
        probeNow?(target)
    }
}
