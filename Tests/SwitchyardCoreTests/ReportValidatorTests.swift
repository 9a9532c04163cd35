import SwitchyardCore
import Testing

private let now = Timestamp(secondsSinceEpoch: 1_800_000_000)
private let known = TargetDescriptor(target: Target(provider: ProviderID("p"), model: ModelName("m")), upstreamModel: "m",
                                     baseURL: "http://p", price: Price(inputPerMTok: 1, outputPerMTok: 2), preferenceOrder: 0)

private func validate(_ report: ClientReport) -> Result<Observation, ReportFailure> {
    ReportValidator().validate(report, now: now, descriptor: { $0 == known.target ? known : nil })
}

private func report(provider: String = "p", model: String = "m", startedAt: ReportTime = .unixSeconds(1_799_999_990), outcome: String = "ok",
                    status: Int? = 200, ttftMs: Double? = 120, totalMs: Double? = 900, tokensIn: Int? = 1000, tokensOut: Int? = 500) -> ClientReport {
    ClientReport(provider: provider, model: model, startedAt: startedAt, outcome: outcome, status: status, ttftMs: ttftMs,
                 totalMs: totalMs, tokensIn: tokensIn, tokensOut: tokensOut)
}

@Suite struct ReportValidatorTests {
    @Test func aGoodReportBecomesAPricedObservation() throws {
        let observation = try validate(report()).get()
        #expect(observation.source == .report)
        #expect(observation.outcome == .ok)
        #expect(observation.totalSeconds == 0.9)
        #expect(observation.ttftSeconds == 0.12)
        #expect(observation.costUSD == 0.002)
    }

    @Test func rfc3339StartTimesAreAccepted() throws {
        let observation = try validate(report(startedAt: .text("2027-01-15T09:59:50+02:00"))).get()
        #expect(observation.startedAt == Timestamp(secondsSinceEpoch: 1_799_999_990))
    }

    @Test(arguments: [
        (report(provider: "nope"), ReportRejection.unknownTarget),
        (report(outcome: "exploded"), .badOutcome),
        (report(outcome: "ok", status: 500), .badOutcome),
        (report(startedAt: .text("yesterday")), .badTime),
        (report(startedAt: .unixSeconds(1_799_990_000)), .badTime),
        (report(startedAt: .unixSeconds(1_800_000_600)), .badTime),
        (report(totalMs: -1), .badDuration),
        (report(ttftMs: 2000, totalMs: 900), .badDuration),
        (report(tokensOut: -5), .badTokens),
        (report(status: 999), .badStatus),
        (report(totalMs: nil), .missingField),
    ])
    func impossibleReportsAreRejectedWithAReason(item: ClientReport, reason: ReportRejection) {
        guard case .failure(let failure) = validate(item) else {
            Issue.record("accepted \(item)")
            return
        }
        #expect(failure.reason == reason)
    }

    @Test func failedRequestsCarryTheirErrorClassAndNoCost() throws {
        let observation = try validate(report(outcome: "rate_limited", status: 429, ttftMs: nil, totalMs: 40)).get()
        #expect(observation.outcome == .failure(.rateLimited))
        #expect(observation.costUSD == nil)
    }

    @Test(arguments: [
        ("2026-11-29T08:28:11Z", 1_795_940_891.0),
        ("2026-11-29T08:28:11.5Z", 1_795_940_891.5),
        ("2026-11-29t08:28:11z", 1_795_940_891.0),
        ("2026-11-29T09:28:11+01:00", 1_795_940_891.0),
    ])
    func rfc3339Parsing(text: String, seconds: Double) {
        #expect(Timestamp(rfc3339: text)?.secondsSinceEpoch == seconds)
    }

    @Test(arguments: ["", "2026-11-29", "2026-13-01T00:00:00Z", "2026-11-29T08:28:11", "2026-11-29T08:28:11+0100", "2026-11-29T08:28:11Zjunk"])
    func rfc3339Rejects(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test func rfc3339RoundTrips() {
        let time = Timestamp(secondsSinceEpoch: 1_795_940_891.25)
        #expect(Timestamp(rfc3339: time.rfc3339) == time)
    }
}
