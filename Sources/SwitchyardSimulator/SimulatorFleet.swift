import Hummingbird
import Logging
import ServiceLifecycle

/// Several simulators on loopback, each on a port the kernel picks.
public struct SimulatorFleet: Sendable {
    public let simulators: [ProviderSimulator]
    public let host: String

    public init(_ simulators: [ProviderSimulator], host: String = "127.0.0.1") {
        self.simulators = simulators
        self.host = host
    }

    /// Starts every simulator, runs `body` with their ports (by name) once all accept
    /// connections, then stops them. The simulators live exactly as long as `body`.
    public func withRunning<T: Sendable>(logger: Logger = Logger(label: "switchyard.sim"), _ body: @Sendable ([String: Int]) async throws -> T) async throws -> T {
        let (bound, continuation) = AsyncStream.makeStream(of: (String, Int).self)
        let applications: [any Service] = simulators.map { simulator in
            simulator.application(address: .hostname(host, port: 0), logger: logger) { port in
                continuation.yield((simulator.name, port))
            }
        }
        let group = ServiceGroup(configuration: .init(services: applications, logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            var ports: [String: Int] = [:]
            for await (name, port) in bound {
                ports[name] = port
                if ports.count == simulators.count { break }
            }
            let result = try await body(ports)
            // Let the servers close cleanly; a request hung on purpose gets a second, then cancellation.
            await group.triggerGracefulShutdown()
            tasks.addTask {
                try await Task.sleep(for: .seconds(1))
                return nil
            }
            _ = try? await tasks.next()
            tasks.cancelAll()
            return result
        }
    }
}
