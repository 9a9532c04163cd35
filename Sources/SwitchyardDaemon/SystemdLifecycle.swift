import ServiceLifecycle
import SwitchyardCore
import SwitchyardStore
import SwitchyardSystemd

/// Keeps systemd informed while the daemon runs: a one-line `STATUS=` every few seconds
/// (`systemctl status` shows it) and `STOPPING=1` as soon as shutdown begins. It is the
/// last service in the group, so it is the first to hear of the shutdown.
struct SystemdLifecycle: Service {
    let notifier: SystemdNotifier
    let healthBook: HealthBook
    let readiness: Readiness
    let writer: StoreWriter
    var period: Duration = .seconds(5)

    func run() async throws {
        await withGracefulShutdownHandler {
            // Cancelled at once when shutdown begins, so the group never waits out a period.
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    notifier.status(summary())
                    try? await Task.sleep(for: period)
                }
            }
        } onGracefulShutdown: {
            notifier.stopping()
        }
    }

    /// "5 targets: 3 healthy, 1 degraded, 1 ejected; probes running; db ok".
    func summary() -> String {
        let counts = healthBook.stateCounts()
        let states = TargetState.allCases.compactMap { state in counts[state].map { "\($0) \(state.rawValue)" } }.joined(separator: ", ")
        let status = readiness.current
        let probing = status.firstProbeRoundDone ? "probe rounds complete" : "first probe round running"
        let database = status.storageProblem.map { "db error: \($0)" } ?? (writer.droppedRecords > 0 ? "db ok, \(writer.droppedRecords) records dropped" : "db ok")
        let recovered = status.databaseRecovered == nil ? "" : " (a corrupt db was moved aside at start-up)"
        return "\(counts.values.reduce(0, +)) targets: \(states); \(probing); \(database)\(recovered)"
    }
}
