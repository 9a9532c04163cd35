import SwitchyardCore

/// One entry of the events log: a target's state transition or a daemon-wide event (a reload).
enum LoggedEvent {
    case transition(Transition)
    case daemon(DaemonEvent)

    var at: Timestamp {
        switch self {
        case .transition(let event): event.at
        case .daemon(let event): event.at
        }
    }

    /// The two stored lists interleaved by time, newest first, at most `limit`.
    static func merged(_ transitions: [Transition], _ daemonEvents: [DaemonEvent], limit: Int) -> [LoggedEvent] {
        Array((transitions.map(LoggedEvent.transition) + daemonEvents.map(LoggedEvent.daemon)).sorted { $0.at > $1.at }.prefix(limit))
    }
}
