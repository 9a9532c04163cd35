import SwitchyardCore

/// Times `HealthBook.route` for one model with `targets` warmed-up targets.
public struct RouteBenchmark: Sendable {
    public var targets: Int
    public var iterations: Int

    public init(targets: Int, iterations: Int = 20_000) {
        self.targets = targets
        self.iterations = iterations
    }

    /// Median and p99 of one route call, in microseconds (batches of 100 calls timed together).
    public func measure() -> (median: Double, p99: Double) {
        let model = ModelName("bench")
        let epoch = Timestamp(secondsSinceEpoch: 1_800_000_000)
        let descriptors = (0..<targets).map { index in
            TargetDescriptor(target: Target(provider: ProviderID("p\(index)"), model: model), upstreamModel: "m", baseURL: "http://p\(index)",
                             price: Price(inputPerMTok: Double(index % 7) * 0.1, outputPerMTok: 0.5), preferenceOrder: index)
        }
        let book = HealthBook(descriptors: descriptors, now: epoch)
        var random = SplitMix64(seed: 7)
        for round in 0..<200 {
            for descriptor in descriptors {
                let fails = Double.random(in: 0..<1, using: &random) < 0.02
                book.observe(Observation(target: descriptor.target, source: .probe, startedAt: epoch + Double(round),
                                         outcome: fails ? .failure(.timeout) : .ok, totalSeconds: Double.random(in: 0.1...0.5, using: &random),
                                         ttftSeconds: 0.05, tokensIn: 10, tokensOut: 16))
            }
        }
        let query = RouteQuery(model: model)
        let now = epoch + 300
        let clock = ContinuousClock()
        var samples: [Double] = []
        var sink = 0
        for _ in 0..<(iterations / 100) {
            let elapsed = clock.measure {
                for _ in 0..<100 {
                    if case .route(let route) = book.route(query, now: now) { sink &+= route.candidates.count }
                }
            }
            samples.append(Double(elapsed.components.attoseconds) / 1e12 / 100 + Double(elapsed.components.seconds) * 1e6 / 100)
        }
        precondition(sink > 0)
        samples.sort()
        return (samples[samples.count / 2], samples[min(samples.count - 1, samples.count * 99 / 100)])
    }
}
