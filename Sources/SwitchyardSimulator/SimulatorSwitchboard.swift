import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// Simulators whose listening sockets can be closed and reopened at run time: the
/// `refused` fault, which a server cannot inject from inside a connection. `refuse`
/// stops a simulator's listener (connects get ECONNREFUSED); `accept` reopens it on the
/// same port with the behaviour it had.
public final class SimulatorSwitchboard: Sendable {
    private let simulators: [String: ProviderSimulator]
    private let running: Mutex<[String: Task<Void, Never>]> = Mutex([:])
    private let bound: Mutex<[String: Int]> = Mutex([:])
    private let logger: Logger
    public let host: String

    public init(_ simulators: [ProviderSimulator], host: String = "127.0.0.1", logger: Logger = Logger(label: "switchyard.sim")) {
        self.simulators = Dictionary(uniqueKeysWithValues: simulators.map { ($0.name, $0) })
        self.host = host
        self.logger = logger
    }

    /// Starts every simulator, runs `body`, then stops them all.
    public func withRunning<T: Sendable>(_ body: @Sendable (SimulatorSwitchboard) async throws -> T) async throws -> T {
        for name in simulators.keys { await start(name, port: 0) }
        do {
            let result = try await body(self)
            await stopAll()
            return result
        } catch {
            await stopAll()
            throw error
        }
    }

    /// The port each simulator listens (or listened) on.
    public var ports: [String: Int] { bound.withLock { $0 } }

    /// Closes `name`'s listener: new connections are refused until `accept`.
    public func refuse(_ name: String) async {
        guard let task = running.withLock({ $0.removeValue(forKey: name) }) else { return }
        task.cancel()
        await task.value
    }

    /// Reopens `name`'s listener on its port.
    public func accept(_ name: String) async {
        guard running.withLock({ $0[name] == nil }) else { return }
        await start(name, port: ports[name] ?? 0)
    }

    private func start(_ name: String, port: Int) async {
        guard let simulator = simulators[name] else { return }
        let (listening, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = simulator.application(address: .hostname(host, port: port), logger: logger) { port in
            continuation.yield(port)
            continuation.finish()
        }
        let task = Task<Void, Never> {
            // Cancellation closes the listener and every connection of this simulator.
            _ = try? await app.runService(gracefulShutdownSignals: [])
        }
        running.withLock { $0[name] = task }
        for await port in listening {
            bound.withLock { $0[name] = port }
        }
    }

    private func stopAll() async {
        for name in simulators.keys { await refuse(name) }
    }
}
