import Logging
import SwitchyardCore

/// Fans each observation out: health first (which may yield a transition), then every
/// sink (store writer, metrics) gets the observation and the transition.
struct ObservationPipeline: Sendable {
    let healthBook: HealthBook
    let sinks: [any ObservationSink]
    let logger: Logger

    func deliver(_ observation: Observation) {
        let transition = healthBook.observe(observation)
        for sink in sinks { sink.record(observation) }
        guard let transition else { return }
        record([transition])
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
