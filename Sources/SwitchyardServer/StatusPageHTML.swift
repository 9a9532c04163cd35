import SwitchyardCore

/// Renders `StatusPageContent` as one HTML document. Every string that comes from
/// configuration, providers or the store goes through `StatusFormat.escape`.
public enum StatusPageHTML {
    /// The whole page.
    public static func render(_ content: StatusPageContent) -> String {
        var html = ""
        html.reserveCapacity(4096 + content.rows.count * 2048 + content.events.count * 256)
        html += """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="refresh" content="\(StatusPage.refreshSeconds)">
            <title>Switchyard status</title>
            <style>\(StatusPageStyle.css)</style>
            </head><body>

            """
        header(content, into: &html)
        html += "<main>\n"
        targets(content, into: &html)
        gateway(content, into: &html)
        fleet(content, into: &html)
        events(content, into: &html)
        html += """
            <footer>Refreshes every \(StatusPage.refreshSeconds) s · JSON: <a href="/v1/providers">/v1/providers</a> · \
            <a href="/v1/events">/v1/events</a> · <a href="/v1/history">/v1/history</a> · <a href="/metrics">/metrics</a></footer>
            </main></body></html>

            """
        return html
    }

    private static func header(_ content: StatusPageContent, into html: inout String) {
        let status = content.readiness
        let ready = status.isReady
        var counts: [TargetState: Int] = [:]
        for row in content.rows { counts[row.snapshot.health.state, default: 0] += 1 }
        let summary = TargetState.allCases.compactMap { state in counts[state].map { "\($0) \(state.rawValue.replacingOccurrences(of: "_", with: " "))" } }
        html += "<header><h1>Switchyard</h1>"
        html += "<span id=\"readiness\" class=\"badge \(ready ? "b-ready" : "b-notready")\" data-ready=\"\(ready)\">\(ready ? "ready" : "not ready")</span>"
        html += "<span class=\"meta\">version <span id=\"version\">\(StatusFormat.escape(content.version))</span></span>"
        html += "<span class=\"meta\">\(content.rows.count) target\(content.rows.count == 1 ? "" : "s")"
        html += summary.isEmpty ? "" : ": \(summary.joined(separator: ", "))"
        html += "</span><span class=\"meta\">updated <time datetime=\"\(content.now.rfc3339)\">\(content.now.timeOfDay)</time></span>"
        var problems: [String] = []
        if !ready {
            problems.append(status.configLoaded ? "waiting for the first probe round" : "configuration not loaded")
        }
        if let storage = status.storageProblem { problems.append("storage: \(storage)") }
        if let reload = status.reloadProblem { problems.append("reload refused: \(reload)") }
        for (provider, problem) in status.discoveryProblems.sorted(by: { $0.key < $1.key }) { problems.append("catalog of \(provider): \(problem)") }
        for problem in problems {
            html += "<p class=\"problem\">\(StatusFormat.escape(problem))</p>"
        }
        html += "</header>\n"
    }

    private static func targets(_ content: StatusPageContent, into html: inout String) {
        html += "<section id=\"targets\"><h2>Targets</h2>"
        if let problem = content.historyProblem {
            html += "<p class=\"note\">No sparklines: \(StatusFormat.escape(problem)).</p>"
        }
        guard !content.rows.isEmpty else {
            html += "<p class=\"note\">No targets are configured.</p></section>\n"
            return
        }
        html += """
            <div class="table"><table><thead><tr><th>Target</th><th>State</th><th>TTFT p50 / p99</th><th>Latency p50</th>\
            <th>Success</th><th>Price in / out</th><th>Last hour</th><th>Last error</th></tr></thead><tbody>

            """
        for row in content.rows { target(row, content, into: &html) }
        html += "</tbody></table></div></section>\n"
    }

    private static func target(_ row: StatusPageContent.Row, _ content: StatusPageContent, into html: inout String) {
        let descriptor = row.snapshot.descriptor
        let health = row.snapshot.health
        let stats = row.snapshot.stats
        let provider = StatusFormat.escape(descriptor.target.provider.rawValue)
        let model = StatusFormat.escape(descriptor.target.model.rawValue)
        let state = health.state.rawValue
        html += "<tr class=\"target t-\(state)\" data-provider=\"\(provider)\" data-model=\"\(model)\" data-state=\"\(state)\">"
        html += "<td data-label=\"Target\"><div><span class=\"provider\">\(provider)</span> <span class=\"model\">\(model)</span>"
        if descriptor.upstreamModel != descriptor.target.model.rawValue {
            html += "<span class=\"upstream\">\(StatusFormat.escape(descriptor.upstreamModel))</span>"
        }
        // What it can serve as routes see it now (a learned "no" included), and whether discovery made it.
        let origin = descriptor.origin == .discovered ? "discovered" : "configured"
        html += "<span class=\"caps\" data-origin=\"\(origin)\">\(StatusFormat.escape(row.snapshot.capabilities(at: content.now).summary))"
        if descriptor.origin == .discovered { html += " · discovered" }
        html += "</span>"
        html += "</div></td><td data-label=\"State\"><div><span class=\"state s-\(state)\">\(state.replacingOccurrences(of: "_", with: " "))</span>"
        html += "<span class=\"since\">\(stateDetail(health, now: content.now))</span></div></td>"
        let ttft = [stats.ttft.p50, stats.ttft.p99].map { $0.map { StatusFormat.milliseconds($0 * 1000) } ?? "—" }
        html += "<td class=\"num\" data-label=\"TTFT p50 / p99\">\(ttft[0]) / \(ttft[1])</td>"
        html += "<td class=\"num\" data-label=\"Latency p50\">\(stats.total.p50.map { StatusFormat.milliseconds($0 * 1000) } ?? "—")</td>"
        html += "<td class=\"num\" data-label=\"Success\">\(stats.samples > 0 ? StatusFormat.percent(row.successRate) : "—")</td>"
        html += "<td class=\"price\" data-label=\"Price\">\(StatusFormat.escape(StatusFormat.price(descriptor.price)))</td>"
        html += "<td data-label=\"Last hour\">\(Sparkline.svg(row.minutes, windowStart: content.windowStart))</td>"
        html += "<td data-label=\"Last error\" class=\"error\"><div>"
        if let errorClass = stats.lastError {
            html += "<span class=\"error-class\">\(StatusFormat.escape(errorClass.rawValue))</span>"
            if let at = stats.lastErrorAt {
                html += " <time datetime=\"\(at.rfc3339)\">\(StatusFormat.age(at, now: content.now))</time>"
            }
            if let message = stats.lastErrorMessage, !message.isEmpty {
                html += "<span class=\"message\">\(StatusFormat.escape(StatusFormat.truncate(message, to: 240)))</span>"
            }
        } else {
            html += "<span class=\"none\">none</span>"
        }
        html += "</div></td></tr>\n"
    }

    /// "since 3 min ago", plus when an ejected or rate-limited target is due back.
    private static func stateDetail(_ health: TargetHealth, now: Timestamp) -> String {
        var text = "since \(StatusFormat.age(health.since, now: now))"
        if health.state == .ejected, let until = health.ejectedUntil, until > now {
            text += ", retry at \(until.timeOfDay)"
        } else if health.state == .rateLimited, let until = health.retryAt, until > now {
            text += ", until \(until.timeOfDay)"
        }
        return text
    }

    private static func events(_ content: StatusPageContent, into html: inout String) {
        html += "<section id=\"events\"><h2>Recent events</h2>"
        // Transitions and reloads, interleaved newest first.
        let entries = LoggedEvent.merged(content.events, content.daemonEvents, limit: StatusPage.eventLimit)
        if entries.isEmpty {
            let why = content.historyProblem.map { "No events: \(StatusFormat.escape($0))." } ?? "No state transitions recorded yet."
            html += "<p class=\"note\">\(why)</p></section>\n"
            return
        }
        html += "<ol class=\"events\">\n"
        for entry in entries {
            switch entry {
            case .transition(let event):
                let from = event.from.rawValue
                let to = event.to.rawValue
                html += "<li class=\"event\" data-from=\"\(from)\" data-to=\"\(to)\">"
                html += "<time datetime=\"\(event.at.rfc3339)\" title=\"\(event.at.rfc3339)\">\(event.at.timeOfDay)</time>"
                html += "<span class=\"target-name\">\(StatusFormat.escape(event.target.provider.rawValue)) / \(StatusFormat.escape(event.target.model.rawValue))</span>"
                html += "<span class=\"transition\"><span class=\"state s-\(from)\">\(from)</span> → <span class=\"state s-\(to)\">\(to)</span></span>"
                html += "<span class=\"reason\">\(StatusFormat.escape(StatusFormat.truncate(event.reason, to: 400)))</span></li>\n"
            case .daemon(let event):
                let state = event.kind == .reload ? "healthy" : "ejected"
                let what = event.kind == .reload ? "configuration reloaded" : "reload refused"
                html += "<li class=\"event daemon-event\" data-kind=\"\(event.kind.rawValue)\">"
                html += "<time datetime=\"\(event.at.rfc3339)\" title=\"\(event.at.rfc3339)\">\(event.at.timeOfDay)</time>"
                html += "<span class=\"target-name\">daemon</span>"
                html += "<span class=\"transition\"><span class=\"state s-\(state)\">\(what)</span> by \(StatusFormat.escape(event.caller))</span>"
                html += "<span class=\"reason\">\(StatusFormat.escape(StatusFormat.truncate(event.message, to: 400)))</span></li>\n"
            }
        }
        html += "</ol></section>\n"
    }
}
