import PostgresNIO
import Synchronization

/// Runs `body` against `connection` and gives up after `seconds` or when the calling task is
/// cancelled, closing the connection: a silent network (a partition) would otherwise hold the
/// statement forever. Throws `FleetError.timedOut` when the time is up.
@discardableResult
func withDeadline<T: Sendable>(_ seconds: Double, on connection: PostgresConnection, _ what: String,
                               _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await abandoning(body, on: connection, what, after: seconds)
}

/// Runs `body` against `connection` until it ends or the calling task is cancelled, then closes
/// the connection and returns without waiting for `body` (a `LISTEN` held for the session).
func closingOnCancel<T: Sendable>(_ connection: PostgresConnection, _ what: String,
                                  _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await abandoning(body, on: connection, what, after: nil)
}

/// PostgresNIO never completes a statement sent on a connection the server has already closed
/// (vapor/postgres-nio#501 reverted the fix), so once this gives up (time up, or cancelled) it
/// closes the connection and leaves `body` behind instead of waiting for it.
private func abandoning<T: Sendable>(_ body: @escaping @Sendable () async throws -> T, on connection: PostgresConnection,
                                     _ what: String, after seconds: Double?) async throws -> T {
    if connection.isClosed { throw FleetError.unreachable("the connection closed before \(what)") }
    let first = FirstOutcome<T>()
    let work = Task {
        do { first.settle(.success(try await body())) } catch { first.settle(.failure(error)) }
    }
    let timer = seconds.map { seconds in
        Task {
            try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
            first.settle(.failure(FleetError.timedOut("\(what) took more than \(seconds) s")))
        }
    }
    defer { timer?.cancel() }
    do {
        return try await withTaskCancellationHandler {
            try await first.value()
        } onCancel: {
            first.settle(.failure(CancellationError()))
        }
    } catch {
        let timedOut = if case .timedOut? = error as? FleetError { true } else { false }
        if timedOut || error is CancellationError {
            work.cancel()
            try? await connection.close()
        }
        throw error
    }
}

/// The first outcome settled, for one waiter; later ones are ignored.
private final class FirstOutcome<T: Sendable>: Sendable {
    private struct State {
        var settled = false
        var outcome: Result<T, any Error>?
        var waiter: CheckedContinuation<T, any Error>?
    }

    private let state = Mutex(State())

    func settle(_ outcome: Result<T, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<T, any Error>? in
            guard !state.settled else { return nil }
            state.settled = true
            guard let waiter = state.waiter else {
                state.outcome = outcome
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(with: outcome)
    }

    func value() async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLock { state -> Result<T, any Error>? in
                if let outcome = state.outcome { return outcome }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
