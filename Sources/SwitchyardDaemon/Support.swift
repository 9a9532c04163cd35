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
