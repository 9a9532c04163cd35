import SwitchyardCore
import SwitchyardProbe
import SwitchyardServer
import SwitchyardStore

extension MetricsSources {
    /// What a scrape reads from the running daemon: the store writer's health and the targets'
    /// scores (the probe budgets come with the scrape). The sources hold the writer and the health
    /// book weakly: the scheduler holds the metrics (the pipeline's sinks), so strong
    /// captures made a cycle that kept every daemon's object graph (SQLite connection included)
    /// alive after the daemon was dropped. The service group and `Daemon` own them; a scrape
    /// after they are gone reads nothing.
    static func daemon(writer: StoreWriter, healthBook: HealthBook, clock: any WallClock) -> MetricsSources {
        MetricsSources(
            store: { [weak writer] in
                writer.map {
                    StoreHealth(queueDepth: $0.queueDepth, droppedRecords: $0.droppedRecords, writeErrors: $0.writeErrors,
                                databaseBytes: $0.databaseBytes, writing: $0.currentProblem == nil)
                }
            },
            scores: { [weak healthBook] in healthBook?.scores(now: clock.now()) ?? [] }
        )
    }
}
