import Foundation
import Synchronization
import SwitchyardCore

/// Records what it is asked to do, for assertions on backoff and calls.
final class Recorder<Value: Sendable>: Sendable {
    private let items = Mutex<[Value]>([])
    func append(_ item: Value) { items.withLock { $0.append(item) } }
    var values: [Value] { items.withLock { $0 } }
}

/// A Unix socket path nothing listens on: the daemon is down.
func absentDaemonSocket() -> String { "/tmp/sy-absent-\(UUID().uuidString.prefix(8)).sock" }
