import ArgumentParser
import Foundation
import SwitchyardClient
import SwitchyardWire

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

    /// A page is up to 50,000 buckets read from SQLite: seconds, not the milliseconds of a route.
    static let pageTimeoutSeconds = 120.0

    /// The daemon answers a page of whole targets at a time; this follows `next` to the last page.
    /// Tables are printed page by page; `--json` prints one document with every page's series.
    func run() async throws {
        var data = try await connection.get("/v1/history", [
            ("provider", provider), ("model", model), ("since", since), ("until", until), ("step", step),
        ], timeoutSeconds: Self.pageTimeoutSeconds)
        var merged: [String: Any]?
        var printedHeader = false
        while true {
            var next: String?
            if connection.json {
                var page = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
                next = page.removeValue(forKey: "next") as? String
                if var all = merged {
                    all["series"] = (all["series"] as? [Any] ?? []) + (page["series"] as? [Any] ?? [])
                    merged = all
                } else {
                    merged = page
                }
            } else {
                let answer = try JSONDecoder().decode(Wire.History.self, from: data)
                next = answer.next
                if !printedHeader { print("\(answer.since) .. \(answer.until), step \(answer.step)") }
                let rows = answer.series.flatMap { series in
                    series.points.map { point in
                        [point.start, series.provider, series.model, "\(point.count)", point.successRate.map(Table.percent) ?? "-",
                         Table.ms(point.latencyMs?.p50), Table.ms(point.latencyMs?.p99), "\(point.reports)"]
                    }
                }
                let table = Table.render(header: ["START", "PROVIDER", "MODEL", "COUNT", "SUCCESS", "P50", "P99", "REPORTS"], rows: rows)
                // Later pages continue the table without repeating its header.
                if !printedHeader { print(table) } else if !rows.isEmpty { print(table.split(separator: "\n", maxSplits: 1).dropFirst().joined()) }
                printedHeader = true
            }
            guard let next else { break }
            data = try await connection.get(next, timeoutSeconds: Self.pageTimeoutSeconds)
        }
        if let merged {
            connection.printJSON(try JSONSerialization.data(withJSONObject: merged, options: [.sortedKeys, .withoutEscapingSlashes]))
        }
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
        let answer = try JSONDecoder().decode(Wire.Events.self, from: data)
        let rows = answer.events.map { event in
            switch (event.from, event.to) {
            case let (from?, to?): [event.at, event.provider ?? "-", event.model ?? "-", "\(from.rawValue) -> \(to.rawValue)", event.reason]
            default: [event.at, "-", "-", "\(event.kind) by \(event.caller ?? "?")", event.reason]
            }
        }
        print(Table.render(header: ["AT", "PROVIDER", "MODEL", "CHANGE", "REASON"], rows: rows))
    }
}
