import SwitchyardCore

/// Simulates a fleet probed on a fixed interval for months, on a simulated clock, and
/// measures the file on the way. Every stored byte is written by the daemon's own code:
/// each simulated hour's observations go through `appendToBlocks`, the function compaction
/// uses to move an hour from the tail into blocks, and the real retention (`prune`) runs
/// every simulated hour. What is skipped, to make 400 days take minutes instead of days, is
/// the detour of each observation through a tail row; the last `tailHours` hours do take it
/// (`SQLiteStore.write`, uncompacted, then summarized into live minutes), so the final file
/// includes a live tail.
/// Used by a scaled-down test and by `switchyard-store-bench generate` at full scale.
public struct StoreLoadGenerator: Sendable {
    /// The simulated fleet and how long it runs.
    public struct Settings: Sendable {
        /// Simulated targets, each probed once per interval.
        public var targets = 1000
        /// Simulated days to run.
        public var days = 400.0
        public var probeIntervalSeconds = 10.0
        /// Target-hours compacted per transaction, as compaction does.
        public var periodsPerTransaction = 40
        /// Hours at the end written as tail rows (batches of 1,000) and left uncompacted.
        public var tailHours = 1
        public var retention = RetentionPolicy()
        /// How often (simulated days) the file size is sampled.
        public var sampleIntervalDays = 1.0
        /// The simulated clock's first instant (an hour boundary).
        public var start = Timestamp(secondsSinceEpoch: 1_800_000_000)
        /// The acceptance scenario: 1,000 targets every 10 s for 400 days.
        public init() {}
    }

    /// The file size at one simulated moment.
    public struct Sample: Sendable {
        /// Simulated days since the start.
        public var day: Double
        /// Database plus WAL on disk.
        public var bytes: Int64
        /// Observations written so far.
        public var observations: Int
    }

    /// The fleet being simulated.
    public let settings: Settings
    /// A generator for the given fleet.
    public init(settings: Settings) { self.settings = settings }

    /// Runs the simulation into `store`; `progress` sees every sample as it is taken.
    public func run(into store: SQLiteStore, progress: (Sample) -> Void = { _ in }) throws -> [Sample] {
        let s = settings
        let targets = (0..<s.targets).map { Target(provider: ProviderID("provider-\($0 % 50)"), model: ModelName("model-\($0 / 50)")) }
        var random = SplitMix64(seed: 42)
        var samples: [Sample] = []
        var written = 0
        let origin = floorTo(wholeSeconds(s.start.secondsSinceEpoch), 3600)
        let hours = Int((s.days * 24).rounded(.up))
        var nextSample = 0.0
        for hour in 0..<hours {
            let hourStart = origin + Int64(hour) * 3600
            let ticks = Array(stride(from: Double(hourStart), to: Double(hourStart + 3600), by: s.probeIntervalSeconds))
            if hour >= hours - s.tailHours {
                // The live tail: the writer's own path, one row per observation.
                var batch: [StoreRecord] = []
                for tick in ticks {
                    for (index, target) in targets.enumerated() {
                        batch.append(.observation(Self.observation(target, index: index, at: tick, random: &random)))
                        if batch.count == 1000 { try store.write(batch); batch.removeAll(keepingCapacity: true) }
                    }
                }
                if !batch.isEmpty { try store.write(batch) }
                // As the writer does once a minute: the tail's minutes into `live_minutes`.
                while try store.summarizeTail() > 0 {}
            } else {
                // A closed hour, as compaction stores it.
                var perTarget = [[Observation]](repeating: [], count: targets.count)
                for tick in ticks {
                    for (index, target) in targets.enumerated() {
                        perTarget[index].append(Self.observation(target, index: index, at: tick, random: &random))
                    }
                }
                for first in stride(from: 0, to: targets.count, by: s.periodsPerTransaction) {
                    let range = first..<min(first + s.periodsPerTransaction, targets.count)
                    try store.appendHour(hourStart, of: range.map { (targets[$0], perTarget[$0]) })
                }
            }
            written += ticks.count * targets.count
            let now = Timestamp(secondsSinceEpoch: Double(hourStart + 3600))
            var report: PruneReport
            repeat { report = try store.prune(now: now, retention: s.retention) } while !report.finished
            let day = Double(hour + 1) / 24
            if day >= nextSample || hour == hours - 1 {
                let sample = Sample(day: day, bytes: store.fileBytes(), observations: written)
                samples.append(sample)
                progress(sample)
                nextSample += s.sampleIntervalDays
            }
        }
        return samples
    }

    /// A plausible probe: per-target base latency with jitter, 2 % failures of a few classes.
    static func observation(_ target: Target, index: Int, at tick: Double, random: inout SplitMix64) -> Observation {
        let base = 80.0 + Double(index % 17) * 25
        let jitter = random.unit()
        let started = Timestamp(secondsSinceEpoch: tick + Double(index % 10) * 0.7)
        if random.unit() < 0.02 {
            let classes: [ErrorClass] = [.timeout, .serverError, .rateLimited, .connectRefused]
            let errorClass = classes[Int(random.next() % UInt64(classes.count))]
            return Observation(target: target, source: .probe, startedAt: started, outcome: .failure(errorClass),
                               httpStatus: errorClass == .serverError ? 502 : nil, totalSeconds: 0.5 + jitter, message: "simulated \(errorClass.rawValue)")
        }
        let total = (base * (0.8 + jitter * 0.6)) / 1000
        return Observation(target: target, source: .probe, startedAt: started, outcome: .ok, httpStatus: 200,
                           totalSeconds: total, ttftSeconds: total * 0.4, tokensIn: 9, tokensOut: 16, costUSD: 0.0000123)
    }
}

extension SplitMix64 {
    /// Uniform in [0, 1), from the high 53 bits (the generator's runs stay as they were).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
