import Testing
@testable import SwitchyardFleetLoad

@Suite("Fleet load driver parts", .timeLimit(.minutes(1)))
struct FleetLoadPartsTests {
    @Test("consecutive windows list each item once per interval, spread evenly")
    func scheduleSpreadsEvenly() {
        let schedule = LoadSchedule(count: 1000, intervalSeconds: 10, offsetSeconds: 0.37)
        var seen: [Int: Int] = [:]
        var from = 0.0
        // Uneven ticks, as a sleeping loop makes them: 30 s of windows.
        let steps = [0.1, 0.13, 0.07, 0.25, 0.095]
        var i = 0
        while from < 30 {
            let to = min(from + steps[i % steps.count], 30)
            for item in schedule.due(from: from, to: to) { seen[item, default: 0] += 1 }
            from = to
            i += 1
        }
        #expect(seen.count == 1000)
        #expect(seen.values.allSatisfy { $0 == 3 })
        // 100 a second; the first window of 0.1 s holds 10 of them.
        #expect(schedule.ratePerSecond == 100)
        #expect(LoadSchedule(count: 1000, intervalSeconds: 10).due(from: 0, to: 0.1) == Array(0..<10))
        #expect(schedule.due(from: 5, to: 5).isEmpty)
    }

    @Test("a /proc stat line with spaces and parentheses in the command parses; the server's tree is summed")
    func procStatParsing() throws {
        let postmaster = "4242 (postgres) S 1 4242 4242 0 -1 4194560 900 0 0 0 150 50 300 100 20 0 1 0 100 0 0"
        let backend = "4300 (postgres: switchyard postgres 127.0.0.1(5 idle)) S 4242 4242 4242 0 -1 4194560 10 0 0 0 70 30 0 0 20 0 1 0 100 0 0"
        let other = "5000 (postgres) S 1 5000 5000 0 -1 4194560 10 0 0 0 999 999 0 0 20 0 1 0 100 0 0"
        let stats = try [postmaster, backend, other].map { try #require(ProcCPU.parse($0)) }
        #expect(stats[1].command == "postgres: switchyard postgres 127.0.0.1(5 idle)")
        #expect(stats[1].parent == 4242)
        #expect(stats[0].ownTicks == 200)
        #expect(stats[0].childTicks == 400)
        // Postmaster own 200 + reaped children 400 + live backend 100; the other cluster not at all.
        #expect(ProcCPU.serverTicks(postmaster: 4242, in: stats) == 700)
        #expect(ProcCPU.parse("garbage") == nil)
    }

    @Test("pg_stat_database rows parse and give rates per second")
    func counterDeltas() throws {
        let first = try #require(PgCounters.parse("1000|5000|200|100|16777216\n"))
        let second = try #require(PgCounters.parse("1300|8000|500|1600|17825792"))
        let rates = second.rates(since: first, seconds: 10)
        #expect(rates.commitsPerSecond == 30)
        #expect(rates.writesPerSecond == 300 + 30 + 150)
        #expect(rates.walBytesPerSecond == 104_857.6)
        #expect(PgCounters.parse("1|2|3") == nil)
        let sizes = try #require(LoadSample.parseSizes("9000|100|200|300|400|500|1|2|3|4|5"))
        #expect(sizes.0 == 9000)
        #expect(sizes.1 == [100, 200, 300, 400, 500])
        #expect(sizes.2 == [1, 2, 3, 4, 5])
    }
}
