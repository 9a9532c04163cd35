import ServiceLifecycle

/// Runs a listener's tasks (its connections, so the API's handlers) with `executor` as their
/// task executor preference. With the libcurl engine: a proxied request is read on NIO's event
/// loop, handled, sent upstream and answered on libcurl's thread, and written back by the event
/// loop: two hand-overs between threads instead of four (event loop → a global-pool thread →
/// libcurl's → the pool → the event loop). Handlers are short and never block (heavy reads have
/// their own threads), as the probes sharing that thread require.
struct PreferringExecutor: Service {
    let service: any Service
    let executor: any TaskExecutor

    func run() async throws {
        try await withTaskExecutorPreference(executor) { try await service.run() }
    }
}
