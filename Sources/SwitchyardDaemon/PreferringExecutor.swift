import ServiceLifecycle

/// Runs a listener's tasks (its connections, so the API's handlers) with `executor` as their
/// task executor preference: the event loops (`EventLoopAffineExecutor`), so a request is read,
/// handled and answered on the thread that read it, and a gateway request to a plain-HTTP
/// upstream (`NIOUpstream`) is also sent and its answer read there. Handlers are short and never
/// block (heavy reads have their own threads), as an event loop requires.
struct PreferringExecutor: Service {
    let service: any Service
    let executor: any TaskExecutor

    func run() async throws {
        try await withTaskExecutorPreference(executor) { try await service.run() }
    }
}
