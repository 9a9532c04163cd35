import ServiceLifecycle
import SwitchyardProbe

/// Starts the libcurl engine's thread, keeps it while the probe scheduler runs and stops it
/// after it (services shut down in reverse order).
struct EngineLifetime: Service {
    let engine: CurlEngine

    func run() async throws {
        engine.start()
        try? await gracefulShutdown()
        engine.shutdown()
    }
}
