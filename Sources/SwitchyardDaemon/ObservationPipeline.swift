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
        if let transition { record(transition) }
    }

    /// Records a transition in every sink and the journal (also for admin drains, which come from no observation).
    func record(_ transition: Transition) {
        for sink in sinks { sink.record(transition) }
        logger.info("target \(transition.from.rawValue) -> \(transition.to.rawValue): \(transition.reason)", metadata: [
            "provider": "\(transition.target.provider)", "model": "\(transition.target.model)", "event": "state_transition",
        ])
    }
}
