import PostgresNIO

/// Runs `body` against `connection`, closing the connection if `body` takes longer than
/// `seconds`: a silent network (a partition) would otherwise hold the statement forever.
/// Closing fails the statement, so `body` returns and the caller sees `FleetError.timedOut`.
func withDeadline<T: Sendable>(_ seconds: Double, on connection: PostgresConnection, _ what: String,
                               _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
            return nil
        }
        defer { group.cancelAll() }
        do {
            guard let first = try await group.next(), let value = first else {
                try? await connection.close()
                throw FleetError.timedOut("\(what) took more than \(seconds) s")
            }
            return value
        } catch let error as CancellationError {
            try? await connection.close()
            throw error
        }
    }
}
