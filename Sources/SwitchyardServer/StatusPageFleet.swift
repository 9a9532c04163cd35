import SwitchyardCore

extension StatusPageHTML {
    /// The fleet section: this host's group, whether PostgreSQL is in use (and why not), and each
    /// host's last contact, publish lag and unhealthy targets. Omitted without `fleet:`.
    static func fleet(_ content: StatusPageContent, into html: inout String) {
        guard let fleet = content.fleet else { return }
        let group = StatusFormat.escape(fleet.group)
        html += "<section id=\"fleet\"><h2>Fleet</h2><p class=\"note\">Host <b>\(StatusFormat.escape(fleet.host))</b> in group <b>\(group)</b>: "
        if let problem = fleet.problem {
            html += "<span class=\"failed\">\(StatusFormat.escape(problem))</span>; routing on this host's own evidence."
        } else {
            html += "sharing evidence through PostgreSQL."
        }
        html += " Published \(fleet.published), received \(fleet.received), buffered \(fleet.buffered), dropped \(fleet.dropped).</p>"
        html += """
            <div class="table"><table><thead><tr><th>Host</th><th>Last contact</th><th>Publish lag</th><th>Unhealthy targets</th></tr></thead><tbody>

            """
        for host in fleet.hosts {
            let name = StatusFormat.escape(host.name)
            let age = StatusFormat.age(host.lastSeen, now: content.now)
            html += "<tr class=\"fleet-host\" data-host=\"\(name)\" data-stale=\"\(host.stale)\">"
            html += "<td data-label=\"Host\">\(name)\(host.isSelf ? " (this host)" : "")</td>"
            html += "<td data-label=\"Last contact\">\(age)\(host.stale ? " <span class=\"failed\">(stale)</span>" : "")</td>"
            html += "<td class=\"num\" data-label=\"Publish lag\">\(Int(saturating: host.publishLagSeconds * 1000)) ms</td>"
            html += "<td class=\"num\" data-label=\"Unhealthy targets\">\(host.unhealthyTargets)</td></tr>\n"
        }
        if fleet.hosts.isEmpty { html += "<tr><td colspan=\"4\"><span class=\"none\">no host heard from yet</span></td></tr>\n" }
        html += "</tbody></table></div></section>\n"
    }
}
