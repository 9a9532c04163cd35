import Foundation
import Synchronization
import SwitchyardCore

/// A wall clock that moves only when the test says so.
final class ManualClock: WallClock {
    private let seconds = Mutex<Double>(1_800_000_000)

    func now() -> Timestamp { Timestamp(secondsSinceEpoch: seconds.withLock { $0 }) }
    func advance(_ by: Double) { seconds.withLock { $0 += by } }
}

/// Records what it is asked to do, for assertions on backoff and calls.
final class Recorder<Value: Sendable>: Sendable {
    private let items = Mutex<[Value]>([])
    func append(_ item: Value) { items.withLock { $0.append(item) } }
    var values: [Value] { items.withLock { $0 } }
}

/// A Unix socket path nothing listens on: the daemon is down.
func absentDaemonSocket() -> String { "/tmp/sy-absent-\(UUID().uuidString.prefix(8)).sock" }

/// A fresh directory, removed afterwards. Short: Unix socket paths are limited to 107 bytes.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = "/tmp/sy-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// Polls `condition` until it holds or `seconds` pass; the daemon under test runs on real time.
func eventually(within seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// Resolves once with a value set from another task.
final class Rendezvous<Value: Sendable>: Sendable {
    private let state = Mutex<(value: Value?, waiters: [CheckedContinuation<Value, Never>])>((nil, []))

    func set(_ value: Value) {
        let waiters = state.withLock { state -> [CheckedContinuation<Value, Never>] in
            state.value = value
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    func value() async -> Value {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Value? in
                if let value = state.value { return value }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
