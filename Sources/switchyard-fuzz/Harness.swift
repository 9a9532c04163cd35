/// One fuzz target: a name for the command line and a function that checks one input.
/// A broken invariant stops the process (`fatalError`), which libFuzzer records as a crash.
struct Harness: Sendable {
    var name: String
    var run: @Sendable ([UInt8]) -> Void

    /// Every harness, in the order `make fuzz` runs them.
    static let all: [Harness] = [
        Harness(name: "config", run: ConfigHarness.run),
        Harness(name: "sse", run: StreamHarnesses.sse),
        Harness(name: "ndjson", run: StreamHarnesses.ndjson),
        Harness(name: "model-list", run: ModelListHarness.run),
        Harness(name: "catalog", run: CatalogHarness.run),
        Harness(name: "reports", run: ReportsHarness.run),
        Harness(name: "query", run: QueryHarness.run),
        Harness(name: "block", run: BlockHarness.run),
        Harness(name: "retry-after", run: RetryAfterHarness.run),
    ]

    static func named(_ name: String) -> Harness? { all.first { $0.name == name } }

    /// The harness libFuzzer's callback runs (set once, before fuzzing starts).
    nonisolated(unsafe) static var selected = all[0]
}

/// Stops with `message` when `condition` is false: a finding.
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("invariant broken: \(message())") }
}

/// `bytes` cut into chunks of `size` bytes (the last may be shorter), as a network delivers them.
func chunks(_ bytes: [UInt8], of size: Int) -> [[UInt8]] {
    stride(from: 0, to: bytes.count, by: max(size, 1)).map { Array(bytes[$0..<min($0 + max(size, 1), bytes.count)]) }
}
