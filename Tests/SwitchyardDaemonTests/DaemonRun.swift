import SwitchyardDaemon

/// Runs `daemon` beside `body`, then shuts it down gracefully whether `body` returned or threw;
/// after a normal return, waits until the daemon has stopped.
func whileRunning(_ daemon: Daemon, _ body: () async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await daemon.run() }
        do {
            try await body()
        } catch {
            await daemon.serviceGroup.triggerGracefulShutdown()
            throw error
        }
        await daemon.serviceGroup.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}
