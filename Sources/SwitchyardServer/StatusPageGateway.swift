import SwitchyardCore

extension StatusPageHTML {
    /// The gateway section: configured clients' spend, limits and refusals; per model, requests, failovers and hedges
    /// (won by the hedge); per provider, answers served and attempts failed. Omitted when the gateway is off.
    static func gateway(_ content: StatusPageContent, into html: inout String) {
        guard let traffic = content.gateway else { return }
        html += "<section id=\"gateway\"><h2>Gateway</h2>"
        defer { html += "</section>\n" }
        clients(content.clients, into: &html)
        guard !traffic.isEmpty else {
            html += "<p class=\"note\">No gateway requests yet (POST /v1/chat/completions).</p>"
            return
        }
        html += """
            <div class="table"><table><thead><tr><th>Model</th><th>Requests</th><th>Failovers</th><th>Hedges (won)</th>\
            <th>Served by (failed attempts)</th></tr></thead><tbody>

            """
        for model in traffic {
            let name = StatusFormat.escape(model.model.rawValue)
            html += "<tr class=\"gw\" data-model=\"\(name)\" data-requests=\"\(model.requests)\" data-failovers=\"\(model.failovers)\" data-hedges=\"\(model.hedges)\" data-hedges-won=\"\(model.hedgesWon)\">"
            html += "<td data-label=\"Model\"><span class=\"model\">\(name)</span></td>"
            html += "<td class=\"num\" data-label=\"Requests\">\(model.requests)</td>"
            html += "<td class=\"num\" data-label=\"Failovers\">\(model.failovers)</td>"
            html += "<td class=\"num\" data-label=\"Hedges\">\(model.hedges) (\(model.hedgesWon))</td><td data-label=\"Served by\"><div>"
            let providers = model.providers.sorted { ($1.value.served, $0.key.rawValue) < ($0.value.served, $1.key.rawValue) }
            html += providers.map { provider, counts in
                let name = StatusFormat.escape(provider.rawValue)
                var text = "<span class=\"gw-provider\" data-provider=\"\(name)\" data-served=\"\(counts.served)\" data-failed=\"\(counts.failed)\">"
                text += "<span class=\"provider\">\(name)</span> \(counts.served)"
                if counts.failed > 0 { text += " <span class=\"failed\">(\(counts.failed) failed)</span>" }
                return text + "</span>"
            }.joined(separator: " · ")
            if providers.isEmpty { html += "<span class=\"none\">none</span>" }
            html += "</div></td></tr>\n"
        }
        html += "</tbody></table></div>"
    }

    /// Configured clients: spend today against the budget, the rate, and 429s since start.
    /// Omitted when no client has limits or used the gateway.
    static func clients(_ clients: [ClientUsage], into html: inout String) {
        guard !clients.isEmpty else { return }
        html += """
            <div class="table"><table class="clients"><thead><tr><th>Client</th><th>Spent today (UTC)</th><th>Rate</th>\
            <th>Refused since start (rate / budget)</th></tr></thead><tbody>

            """
        for usage in clients {
            let name = StatusFormat.escape(usage.client)
            let spent = StatusFormat.usd(usage.spentTodayUSD)
            let budget = usage.limits.usdPerDay.map { " of " + StatusFormat.usd($0) } ?? " (no budget)"
            let over = usage.limits.usdPerDay.map { usage.spentTodayUSD >= $0 } ?? false
            let rate = usage.limits.requestsPerMinute.map { "\($0)/min" } ?? "unlimited"
            html += "<tr class=\"gw-client\" data-client=\"\(name)\" data-spent-usd=\"\(usage.spentTodayUSD)\" data-refused-rate=\"\(usage.refusedSinceStart.rate)\" data-refused-budget=\"\(usage.refusedSinceStart.budget)\">"
            html += "<td data-label=\"Client\"><span class=\"client\">\(name)</span></td>"
            html += "<td class=\"num\(over ? " failed" : "")\" data-label=\"Spent today\">\(spent)\(budget)</td>"
            html += "<td class=\"num\" data-label=\"Rate\">\(rate)</td>"
            html += "<td class=\"num\" data-label=\"Refused\">\(usage.refusedSinceStart.rate) / \(usage.refusedSinceStart.budget)</td></tr>\n"
        }
        html += "</tbody></table></div>"
    }
}
