import ServiceLifecycle
import UnixSignals

/// Reloads the configuration on SIGHUP (`systemctl reload` sends it through `ExecReload=`).
struct ReloadSignalService: Service {
    let reloader: ConfigReloader

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            _ = await reloader.reload(caller: "signal")
        }
    }
}
