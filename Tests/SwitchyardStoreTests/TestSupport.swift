import Foundation

/// Runs long synchronous work (a simulated fleet writing for days) on its own thread, so it
/// does not hold a cooperative thread that other suites running in parallel need.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
