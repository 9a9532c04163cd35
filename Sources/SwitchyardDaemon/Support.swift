import ServiceLifecycle
import Synchronization
import SwitchyardProbe

/// The build's version, for `switchyard_build_info` and `--version`.
public enum SwitchyardVersion {
    public static let current = "0.1.0"
}

/// Counts listeners as they start accepting and fires once when all have.
final class ListenerTally: Sendable {
    private let remaining: Mutex<Int>
    private let whenAll: @Sendable () -> Void

    init(expected: Int, whenAll: @escaping @Sendable () -> Void) {
        remaining = Mutex(expected)
        self.whenAll = whenAll
        if expected == 0 { whenAll() }
    }

    func arrived() {
        let done = remaining.withLock { count -> Bool in
            count -= 1
            return count == 0
        }
        if done { whenAll() }
    }
}

/// Keeps the libcurl engine alive while the probe scheduler runs and stops its thread
/// after it (services shut down in reverse order).
struct EngineLifetime: Service {
    let engine: CurlEngine

    func run() async throws {
        try? await gracefulShutdown()
        engine.shutdown()
    }
}

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
