import ServiceLifecycle
import SwitchyardProbe
import SwitchyardUpstream

/// Starts the libcurl engine's thread, keeps it while the probe scheduler runs and stops it
/// after it (services shut down in reverse order); then closes the gateway's kept-alive
/// plain-HTTP upstream connections.
struct EngineLifetime: Service {
    let engine: CurlEngine
    var upstream: NIOUpstream?

    func run() async throws {
        engine.start()
        try? await gracefulShutdown()
        engine.shutdown()
        upstream?.closeIdleConnections()
    }
}
