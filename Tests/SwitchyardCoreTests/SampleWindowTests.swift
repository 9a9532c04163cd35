@testable import SwitchyardCore
import Testing

/// The window's quantiles and mean, kept up to date in place, equal those of a fresh sort of its samples.
@Suite struct SampleWindowTests {
    @Test(arguments: [1, 7, 128])
    func quantilesMatchASortOfTheLastSamples(capacity: Int) {
        var window = SampleWindow(capacity: capacity)
        var random = SplitMix64(seed: 7)
        var all: [Double] = []
        for index in 0..<600 {
            // Repeated values too, so that replacing one of several equal samples is exercised.
            let value = index % 5 == 0 ? 0.25 : Double(random.next() % 1000) / 100
            window.add(value)
            all.append(value)
            let sorted = all.suffix(capacity).sorted()
            #expect(window.count == sorted.count)
            #expect(window.p50 == SampleWindow.quantile(0.5, of: sorted))
            #expect(window.p90 == SampleWindow.quantile(0.9, of: sorted))
            #expect(window.p99 == SampleWindow.quantile(0.99, of: sorted))
            #expect(window.mean == sorted.reduce(0, +) / Double(sorted.count))
        }
    }

    @Test func nonFiniteAndNegativeValuesAreIgnored() {
        var window = SampleWindow(capacity: 4)
        window.add(.nan)
        window.add(-1)
        window.add(.infinity)
        #expect(window.count == 0)
        #expect(window.p50 == nil)
    }
}
