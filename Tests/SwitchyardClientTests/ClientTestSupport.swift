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
