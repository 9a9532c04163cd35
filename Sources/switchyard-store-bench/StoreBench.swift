import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SwitchyardCore
import SwitchyardStore

/// `switchyard-store-bench`: storage benchmarks against real SQLite files (`make bench-store`).
@main
struct StoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard-store-bench",
        abstract: "Storage benchmarks: ingest through the writer, history query latency, file size over simulated days.",
        subcommands: [Ingest.self, History.self, Generate.self, Reopen.self]
    )
}

/// Options shared by every benchmark.
struct BenchDirectory: ParsableArguments {
    @Option(help: "Directory for the database (a fresh one is created inside and removed afterwards).")
    var directory = FileManager.default.temporaryDirectory.path
    @Flag(help: "Keep the database afterwards (its path is printed).")
    var keep = false

    /// A fresh database path; the directory is removed when `body` returns.
    func withDatabase<T>(_ body: (String) async throws -> T) async throws -> T {
        let path = directory + "/switchyard-bench-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer {
            if keep { print("kept: \(path)/switchyard.db") } else { try? FileManager.default.removeItem(atPath: path) }
        }
        return try await body(path + "/switchyard.db")
    }
}

/// Sustained ingest: observations pushed into the real `StoreWriter` as fast as it takes them.
struct Ingest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Rows per second through the batched writer (a tail row + probe spend per observation), then through compaction into blocks.")
    @OptionGroup var location: BenchDirectory
    @Option(help: "Observations to write.") var rows = 1_000_000
    @Option(help: "Distinct targets.") var targets = 1000

    func run() async throws {
        try await location.withDatabase { path in
            let store = try SQLiteStore(path: path)
            var logger = Logger(label: "bench")
            logger.logLevel = .warning
            let writer = StoreWriter(store: store, capacity: 100_000, maxBatch: 5000, logger: logger)
            let group = ServiceGroup(configuration: .init(services: [writer], logger: logger))
            let fleet = (0..<targets).map { Target(provider: ProviderID("p\($0 % 50)"), model: ModelName("m\($0 / 50)")) }
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let t0 = 1_800_000_000.0
                for index in 0..<rows {
                    while writer.queueDepth > 90_000 { try await Task.sleep(for: .milliseconds(1)) }
                    let ok = index % 50 != 0
                    writer.record(Observation(
                        target: fleet[index % targets], source: .probe, startedAt: Timestamp(secondsSinceEpoch: t0 + Double(index / targets) * 10),
                        outcome: ok ? .ok : .failure(.timeout), httpStatus: ok ? 200 : nil, totalSeconds: 0.08 + Double(index % 97) / 1000,
                        ttftSeconds: ok ? 0.03 : nil, tokensIn: 9, tokensOut: 16, costUSD: 0.0000123))
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            let seconds = (ContinuousClock.now - start).seconds
            print("ingest: \(rows) rows over \(targets) targets in \(format(seconds)) s = \(Int(Double(rows) / seconds)) rows/s; dropped \(writer.droppedRecords); file \(mib(store.fileBytes())) MiB")
            // What the writer does with them once their hours have ended: compaction into blocks.
            let compaction = ContinuousClock.now
            var report: CompactionReport
            var moved = 0
            repeat {
                report = try store.compact(before: Timestamp(secondsSinceEpoch: 1_800_000_000 + Double(rows / targets) * 10 + 3600))
                moved += report.observations
            } while !report.finished
            let compactSeconds = (ContinuousClock.now - compaction).seconds
            print("ingest: compacted \(moved) rows into blocks in \(format(compactSeconds)) s = \(Int(Double(moved) / compactSeconds)) rows/s; both steps: \(Int(Double(rows) / (seconds + compactSeconds))) rows/s; file \(mib(store.fileBytes())) MiB")
        }
    }
}

/// A 30-day minute-rollup history query for one target among many.
struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Latency of a 30-day, 1-minute history query for one target.")
    @OptionGroup var location: BenchDirectory
    @Option(help: "Targets in the database.") var targets = 20
    @Option(help: "Days of history.") var days = 30.0
    @Option(help: "Probe interval in seconds (6 probes a minute give each minute several latency buckets).") var interval = 10.0
    @Option(help: "Queries to time (the median and the slowest are printed).") var runs = 21

    func run() async throws {
        try await location.withDatabase { path in
            let store = try SQLiteStore(path: path)
            let settings = StoreLoadGenerator.Settings(targets: targets, days: days, probeIntervalSeconds: interval, sampleIntervalDays: days)
            let fill = ContinuousClock.now
            _ = try StoreLoadGenerator(settings: settings).run(into: store)
            print("history: filled \(targets) targets × \(format(days)) days (a probe every \(format(interval)) s) in \(format((ContinuousClock.now - fill).seconds)) s; file \(mib(store.fileBytes())) MiB")
            let end = settings.start + days * 86_400
            let query = HistoryQuery(provider: ProviderID("provider-7"), model: ModelName("model-0"), since: end + -30 * 86_400, until: end, step: .minute)
            var timings: [Double] = []
            var buckets = 0
            for _ in 0..<max(runs, 1) {
                let start = ContinuousClock.now
                buckets = try store.history(query).count
                timings.append((ContinuousClock.now - start).seconds * 1000)
            }
            timings.sort()
            print("history: 30-day 1m query for one target: \(buckets) buckets, median \(format(timings[timings.count / 2])) ms, min \(format(timings[0])) ms, max \(format(timings.last!)) ms (\(timings.count) runs)")
        }
    }
}

/// The fleet simulation: file size over simulated days with retention applied.
struct Generate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Simulate N targets probed every I seconds for D days (simulated clock) and measure the file.")
    @OptionGroup var location: BenchDirectory
    @Option(help: "Targets.") var targets = 1000
    @Option(help: "Simulated days.") var days = 400.0
    @Option(help: "Probe interval in seconds.") var interval = 10.0
    @Option(help: "Print the size every this many simulated days.") var every = 10.0

    func run() async throws {
        try await location.withDatabase { path in
            let store = try SQLiteStore(path: path)
            let settings = StoreLoadGenerator.Settings(targets: targets, days: days, probeIntervalSeconds: interval, sampleIntervalDays: every)
            let start = ContinuousClock.now
            let samples = try StoreLoadGenerator(settings: settings).run(into: store) { sample in
                print("day \(format(sample.day)): \(mib(sample.bytes)) MiB after \(sample.observations) observations, \(format((ContinuousClock.now - start).seconds)) s")
                fflush(nil)  // progress appears as it happens, also in a pipe
            }
            try store.checkpoint()
            let bytes = store.fileBytes()
            let observations = samples.last?.observations ?? 0
            print("generate: \(targets) targets every \(format(interval)) s for \(format(days)) days: \(observations) observations in \(format((ContinuousClock.now - start).seconds)) s")
            print("generate: final file \(mib(bytes)) MiB (\(bytes) bytes) after checkpoint; \(bytes / Int64(max(targets, 1))) bytes per target")
            for kind in try store.blockStatistics() {
                print("generate: \(kind.kind) blocks: \(kind.blocks) rows of \(kind.observations) observations, \(mib(kind.storedBytes)) MiB deflated from \(mib(kind.encodedBytes)) MiB")
            }
            print("generate: tail rows (uncompacted): \(try store.tailRowCount())")
            if let firstWeek = samples.last(where: { $0.day <= 7 && $0.day >= 0.05 }) {
                print("generate: before any retention (day \(format(firstWeek.day))): \(Int(Double(firstWeek.bytes) / (Double(targets) * firstWeek.day))) bytes per target-day")
            }
        }
    }
}

/// What a restart costs on an existing file (e.g. the one `generate --keep` leaves): opening
/// (read-only integrity pre-check, migrations), warm start, and the reads an operator makes first.
struct Reopen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Time opening an existing database, its warm start, and the first history reads.")
    @Argument(help: "The database file.") var path: String
    @Option(help: "The time the reads are for (Unix seconds); default: the newest tail row.") var now: Double?

    func run() async throws {
        var started = ContinuousClock.now
        let store = try SQLiteStore(path: path)
        print("reopen: \(mib(store.fileBytes())) MiB, opened (quick_check, migrations) in \(format((ContinuousClock.now - started).seconds * 1000)) ms")
        let at = Timestamp(secondsSinceEpoch: try now ?? store.newestObservationTime() ?? Date().timeIntervalSince1970)
        started = ContinuousClock.now
        let warm = try store.warmStart(now: at)
        print("reopen: warm start read \(warm.observations.count) observations in \(format((ContinuousClock.now - started).seconds * 1000)) ms")
        started = ContinuousClock.now
        let lastHour = try store.history(HistoryQuery(since: at + -3600, until: at + 1, step: .minute))
        print("reopen: last hour of every target by minute (the status page's read): \(lastHour.count) buckets in \(format((ContinuousClock.now - started).seconds * 1000)) ms")
        if let target = lastHour.first?.target {
            started = ContinuousClock.now
            let month = try store.history(HistoryQuery(provider: target.provider, model: target.model, since: at + -30 * 86_400, until: at + 1, step: .minute))
            print("reopen: 30 days by minute for one target: \(month.count) buckets in \(format((ContinuousClock.now - started).seconds * 1000)) ms")
            started = ContinuousClock.now
            let year = try store.history(HistoryQuery(provider: target.provider, model: target.model, since: at + -400 * 86_400, until: at + 1, step: .hour))
            print("reopen: 400 days by hour for one target: \(year.count) buckets in \(format((ContinuousClock.now - started).seconds * 1000)) ms")
        }
    }
}

private func format(_ value: Double) -> String { String(format: "%.2f", value) }
private func mib(_ bytes: Int64) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }

extension Duration {
    /// The duration in seconds as a Double.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

extension StoreLoadGenerator.Settings {
    /// The defaults with the fleet's size, length and cadence set.
    init(targets: Int, days: Double, probeIntervalSeconds: Double, sampleIntervalDays: Double) {
        self.init()
        self.targets = targets
        self.days = days
        self.probeIntervalSeconds = probeIntervalSeconds
        self.sampleIntervalDays = sampleIntervalDays
    }
}
