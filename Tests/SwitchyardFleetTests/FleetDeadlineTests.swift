import Foundation
import Logging
import PostgresNIO
import Synchronization
import SwitchyardTestSupport
import Testing
@testable import SwitchyardFleet

/// Every fleet statement ends: at its deadline, when its task is cancelled, or at once on a
/// connection the server has closed (PostgresNIO itself would wait forever there, which once
/// left a daemon unable to shut down after PostgreSQL restarted).
@Suite(.serialized, .timeLimit(.minutes(2))) struct FleetDeadlineTests {
    let logger = Logger(label: "fleet-test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Runs `body` in a task of its own and says how it ended, or nil if it had not within `seconds`
    /// (the task is then left behind, so a regression fails this test instead of hanging it).
    func ending(within seconds: Double, _ body: @escaping @Sendable () async throws -> Void,
                whileRunning during: () async throws -> Void = {}) async throws -> (any Error)?? {
        let ended = Mutex<(any Error)??>(nil)
        Task {
            do { try await body(); ended.withLock { $0 = .some(nil) } } catch { ended.withLock { $0 = .some(error) } }
        }
        try await during()
        _ = try await eventually(within: seconds) { ended.withLock { $0 != nil } }
        return ended.withLock { $0 }
    }

    @Test func aStatementOnAConnectionTheServerTerminatedFailsInsteadOfWaiting() async throws {
        try await withPostgresCluster { server in
            let connector = FleetConnector(url: try PostgresURL(parsing: server.url), logger: logger)
            let victim = try await connector.connect()
            var pid: Int32 = 0
            for try await value in try await victim.query("SELECT pg_backend_pid()", logger: logger).decode(Int32.self) { pid = value }
            let backend = pid
            _ = try await offPool { try server.psql("SELECT pg_terminate_backend(\(backend))") }
            let logger = logger
            let outcome = try await ending(within: 10) {
                try await withDeadline(3, on: victim, "a statement after termination") {
                    _ = try await victim.query("SELECT 1", logger: logger)
                }
            }
            let error = try #require(outcome, "the statement is still waiting 10 s later")
            #expect(error is FleetError || error is PSQLError, "\(String(describing: error))")
            try? await victim.close()
        }
    }

    @Test func aCancelledStatementEndsAtOnceAndClosesItsConnection() async throws {
        try await withPostgresCluster { server in
            let connector = FleetConnector(url: try PostgresURL(parsing: server.url), logger: logger)
            let connection = try await connector.connect()
            let logger = logger
            let started = Mutex(false)
            let statement = Task {
                try await withDeadline(60, on: connection, "a long statement") {
                    started.withLock { $0 = true }
                    try await connection.query("SELECT pg_sleep(30)", logger: logger)
                }
            }
            #expect(try await eventually(within: 10) { started.withLock { $0 } })
            let outcome = try await ending(within: 10, { _ = try await statement.value }, whileRunning: { statement.cancel() })
            let error = try #require(outcome, "the cancelled statement is still waiting 10 s later")
            #expect(error is CancellationError, "\(String(describing: error))")
            #expect(try await eventually(within: 5) { connection.isClosed })
        }
    }

    @Test func aStatementPastItsDeadlineIsCutAndSaysWhatTookTooLong() async throws {
        try await withPostgresCluster { server in
            let connector = FleetConnector(url: try PostgresURL(parsing: server.url), logger: logger)
            let connection = try await connector.connect()
            let logger = logger
            let outcome = try await ending(within: 10) {
                try await withDeadline(0.5, on: connection, "a slow statement") {
                    _ = try await connection.query("SELECT pg_sleep(30)", logger: logger)
                }
            }
            let error = try #require(outcome, "the statement is still waiting 10 s later")
            #expect(error as? FleetError == .timedOut("a slow statement took more than 0.5 s"))
            #expect(try await eventually(within: 5) { connection.isClosed })
        }
    }
}
