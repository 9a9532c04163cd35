import ArgumentParser
import Foundation
import SwitchyardClient

struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show stored rollups: one row per target and minute or hour.")

    @Option(name: .long, help: "Only this provider.")
    var provider: String?
    @Option(name: .long, help: "Only this model.")
    var model: String?
    @Option(name: .long, help: "Start: Unix seconds or RFC 3339 (default 24 h before --until).")
    var since: String?
    @Option(name: .long, help: "End: Unix seconds or RFC 3339 (default now).")
    var until: String?
    @Option(name: .long, help: "1m, 1h or auto.")
    var step: String?
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let data = try await connection.get("/v1/history", [
            ("provider", provider), ("model", model), ("since", since), ("until", until), ("step", step),
        ])
        if connection.json { return connection.printJSON(data) }
        let answer = try JSONDecoder().decode(HistoryAnswer.self, from: data)
        print("\(answer.since) .. \(answer.until), step \(answer.step)")
        let rows = answer.series.flatMap { series in
            series.points.map { point in
                [point.start, series.provider, series.model, "\(point.count)", point.success_rate.map(Table.percent) ?? "-",
                 Table.ms(point.latency_ms?.p50), Table.ms(point.latency_ms?.p99), "\(point.reports)"]
            }
        }
        print(Table.render(header: ["START", "PROVIDER", "MODEL", "COUNT", "SUCCESS", "P50", "P99", "REPORTS"], rows: rows))
    }
}

struct Events: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show recent events (state transitions, reloads) with their reasons, newest first.")

    @Option(name: .long, help: "Only events at or after this time (Unix seconds or RFC 3339).")
    var since: String?
    @Option(name: .long, help: "At most this many (1 to 1000, default 100).")
    var limit: Int?
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let data = try await connection.get("/v1/events", [("since", since), ("limit", limit.map(String.init))])
        if connection.json { return connection.printJSON(data) }
        let answer = try JSONDecoder().decode(EventsAnswer.self, from: data)
        let rows = answer.events.map { event in
            switch (event.from, event.to) {
            case let (from?, to?): [event.at, event.provider ?? "-", event.model ?? "-", "\(from) -> \(to)", event.reason]
            default: [event.at, "-", "-", "\(event.kind) by \(event.caller ?? "?")", event.reason]
            }
        }
        print(Table.render(header: ["AT", "PROVIDER", "MODEL", "CHANGE", "REASON"], rows: rows))
    }
}

private struct HistoryAnswer: Decodable {
    struct Series: Decodable { var provider: String; var model: String; var points: [Point] }
    struct Point: Decodable {
        var start: String
        var count: Int
        var reports: Int
        var success_rate: Double?
        var latency_ms: Percentiles?
    }
    struct Percentiles: Decodable { var p50: Double; var p99: Double }
    var since: String
    var until: String
    var step: String
    var series: [Series]
}

private struct EventsAnswer: Decodable {
    struct Event: Decodable {
        var kind: String
        var at: String
        var provider: String?
        var model: String?
        var from: String?
        var to: String?
        var caller: String?
        var reason: String
    }
    var events: [Event]
}
