import SwitchyardCore

extension StatusPageHTML {
    /// The gateway section: per model, requests, failovers and hedges (won by the hedge); per provider, answers served
    /// and attempts failed. Omitted when the gateway is off.
    static func gateway(_ content: StatusPageContent, into html: inout String) {
        guard let traffic = content.gateway else { return }
        html += "<section id=\"gateway\"><h2>Gateway</h2>"
        guard !traffic.isEmpty else {
            html += "<p class=\"note\">No gateway requests yet (POST /v1/chat/completions).</p></section>\n"
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
        html += "</tbody></table></div></section>\n"
    }
}
