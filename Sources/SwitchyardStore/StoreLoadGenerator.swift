import SwitchyardCore

/// Simulates a fleet probed on a fixed interval, on a simulated clock, through the real
/// write path (`SQLiteStore.write`: raw rows, rollups and spend in one transaction per
/// batch) and the real retention (`SQLiteStore.prune`), and measures the file on the way.
/// Used by a scaled-down test and by `switchyard-store-bench generate` at full scale.
public struct StoreLoadGenerator: Sendable {
    /// The simulated fleet and how long it runs.
    public struct Settings: Sendable {
        /// Simulated targets, each probed once per interval.
        public var targets = 1000
        /// Simulated days to run.
        public var days = 400.0
        public var probeIntervalSeconds = 10.0
        /// Observations per transaction, as the writer batches them.
        public var batchSize = 1000
        public var retention = RetentionPolicy()
        /// How often (simulated seconds) the retention pass runs, as the writer would.
        public var pruneIntervalSeconds = 3600.0
        /// How often (simulated days) the file size is sampled.
        public var sampleIntervalDays = 1.0
        /// The simulated clock's first instant.
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
        var batch: [StoreRecord] = []
        batch.reserveCapacity(s.batchSize)
        var samples: [Sample] = []
        var written = 0
        var nextPrune = s.start.secondsSinceEpoch + s.pruneIntervalSeconds
        var nextSample = s.start.secondsSinceEpoch
        let end = s.start.secondsSinceEpoch + s.days * 86_400
        var tick = s.start.secondsSinceEpoch
        while tick < end {
            for (index, target) in targets.enumerated() {
                batch.append(.observation(Self.observation(target, index: index, at: tick, random: &random)))
                if batch.count == s.batchSize {
                    try store.write(batch)
                    written += batch.count
                    batch.removeAll(keepingCapacity: true)
                }
            }
            tick += s.probeIntervalSeconds
            if tick >= nextPrune {
                if !batch.isEmpty { try store.write(batch); written += batch.count; batch.removeAll(keepingCapacity: true) }
                var report: PruneReport
                repeat { report = try store.prune(now: Timestamp(secondsSinceEpoch: tick), retention: s.retention) } while !report.finished
                nextPrune += s.pruneIntervalSeconds
            }
            if tick >= nextSample || tick >= end {
                let sample = Sample(day: (tick - s.start.secondsSinceEpoch) / 86_400, bytes: store.fileBytes(), observations: written)
                samples.append(sample)
                progress(sample)
                nextSample += s.sampleIntervalDays * 86_400
            }
        }
        if !batch.isEmpty { try store.write(batch) }
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
