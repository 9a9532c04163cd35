import Foundation
import SwitchyardCore

/// Prints the effective configuration (defaults filled in) as YAML. Secrets are only
/// ever references here, so nothing secret can be printed.
public enum ConfigRenderer {
    public static func render(_ config: Configuration) -> String {
        var lines = ["# effective configuration from \(config.source)"]
        lines.append("listen:")
        lines.append("  tcp: \(quoted(config.listen.tcp?.description ?? ""))")
        switch config.listen.unix {
        case .systemDefault: lines.append("  # unix: $RUNTIME_DIRECTORY/switchyard.sock, else /run/switchyard/switchyard.sock")
        case .path(let path): lines.append("  unix: \(quoted(path))")
        case .disabled: lines.append("  unix: \"\"")
        }
        if let group = config.listen.unixGroup { lines.append("  unix_group: \(quoted(group))") }
        let limits = config.listen.limits
        lines += [
            "  max_body_bytes: \(limits.maxBodyBytes)",
            "  header_timeout: \(DurationText.format(limits.headerTimeoutSeconds))",
            "  idle_timeout: \(DurationText.format(limits.idleTimeoutSeconds))",
            "  max_connections: \(limits.maxConnections)",
            "  tcp_without_token: \(config.listen.tcpWithoutToken)",
            "  max_connections_per_peer: \(limits.maxConnectionsPerPeer)",
        ]
        if let token = config.admin.token {
            lines.append("admin: { \(token.configLine(prefix: "token")) }")
        } else {
            lines.append("# admin: no token_env/token_file/token_credential: admin routes only on the Unix socket")
        }
        lines += clientLines(config.clients)
        if let stateDir = config.stateDir { lines.append("state_dir: \(quoted(stateDir))") }
        lines.append("log_level: \(config.logLevel.rawValue)")
        let storage = config.storage
        lines += [
            "storage:",
            "  retention: { raw: \(DurationText.format(storage.rawRetentionSeconds)), minute_rollups: \(DurationText.format(storage.minuteRetentionSeconds)), hour_rollups: \(DurationText.format(storage.hourRetentionSeconds)) }",
            "  busy_timeout: \(DurationText.format(storage.busyTimeoutSeconds))",
        ]
        let gateway = config.gateway
        lines.append("gateway: { enabled: \(gateway.enabled), max_attempts: \(gateway.maxAttempts), max_concurrent: \(gateway.maxConcurrent), request_deadline: \(DurationText.format(gateway.requestDeadlineSeconds)), max_upload_bytes: \(gateway.maxUploadBytes), max_answer_bytes: \(gateway.maxAnswerBytes), upload_budget_bytes: \(gateway.uploadBudgetBytes) }")
        lines.append("probe:")
        lines += probeLines(config.probe, indent: "  ")
        lines += routingLines(config.routing)
        lines.append("providers:")
        for provider in config.providers {
            lines.append("  - name: \(quoted(provider.name.rawValue))")
            lines.append("    kind: \(provider.kind.rawValue)")
            lines.append("    base_url: \(quoted(provider.baseURL))")
            if let key = provider.apiKey { lines.append("    \(key.description)") }
            if let price = provider.price { lines.append("    price: { \(priceText(price)) }") }
            if let perDay = provider.budget?.probeUSDPerDay { lines.append("    budget: { probe_usd_per_day: \(perDay) }") }
            if let text = capabilitiesText(provider.capabilities) { lines.append("    \(text)") }
            if provider.task != .chat { lines.append("    task: \(provider.task.rawValue)") }
            lines.append("    probe:")
            lines += probeLines(provider.probe, indent: "      ", inheritedHedge: config.probe.hedge)
            if let discover = provider.discover { lines += discoveryLines(discover, provider: provider) }
            lines.append(provider.models.isEmpty ? "    models: []" : "    models:")
            for model in provider.models {
                lines.append("      - name: \(quoted(model.name.rawValue))")
                lines.append("        upstream: \(quoted(model.upstream))")
                // The model's effective capabilities (the provider's with the model's on top).
                if model.capabilities != provider.capabilities, let text = capabilitiesText(model.capabilities) { lines.append("        \(text)") }
                if model.task != provider.task { lines.append("        task: \(model.task.rawValue)") }
                if model.probe != provider.probe {
                    lines.append("        probe:")
                    if let comment = taskDefaultsComment(model) { lines.append("          \(comment)") }
                    lines += probeLines(model.probe, indent: "          ", inheritedHedge: provider.probe.hedge)
                }
            }
        }
        lines += aliasLines(config.aliases)
        if let fleet = config.fleet {
            lines.append("fleet: { postgres: { \(fleet.postgres.configLine(prefix: "url")) }, host: \(quoted(fleet.host)), group: \(quoted(fleet.group)), remote_weight: \(fleet.remoteWeight), retention: \(DurationText.format(fleet.retentionSeconds)) }")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func clientLines(_ clients: [ClientSettings]) -> [String] {
        guard !clients.isEmpty else { return ["# clients: none: TCP callers have no name (reports over TCP need listen.tcp_without_token: true)"] }
        var lines = ["clients:"]
        for client in clients {
            lines.append("  - name: \(quoted(client.name))")
            lines.append("    \(client.token.configLine(prefix: "token"))")
            lines.append(client.models.map { "    models: [\($0.map { quoted($0.rawValue) }.joined(separator: ", "))]" } ?? "    # models: every model")
            if let perDay = client.usdPerDay { lines.append("    budget: { usd_per_day: \(perDay) }") }
            if let perMinute = client.requestsPerMinute { lines.append("    rate: { requests_per_minute: \(perMinute) }") }
        }
        return lines
    }

    /// `inheritedHedge`: the level above's `hedge`, which a level without one turns off explicitly.
    private static func probeLines(_ probe: ProbeSettings, indent: String, inheritedHedge: HedgeSettings? = nil) -> [String] {
        [
            "\(indent)interval: \(DurationText.format(probe.intervalSeconds))",
            "\(indent)connect_timeout: \(DurationText.format(probe.connectTimeoutSeconds))",
            "\(indent)timeout: \(DurationText.format(probe.timeoutSeconds))",
            "\(indent)mode: \(probe.mode.rawValue)",
            "\(indent)max_tokens: \(probe.maxTokens)",
            "\(indent)stream_idle_timeout: \(DurationText.format(probe.streamIdleTimeoutSeconds))",
            "\(indent)max_body_bytes: \(probe.maxBodyBytes)",
            "\(indent)max_concurrent: \(probe.maxConcurrentPerProvider)",
            "\(indent)image_size: \(probe.imageSize)",
        ] + (probe.expectedStatus.isEmpty ? [] : ["\(indent)expected_status: [\(probe.expectedStatus.map(String.init).joined(separator: ", "))]"])
            + (probe.attemptTimeoutSeconds.map { ["\(indent)attempt_timeout: \(DurationText.format($0))"] } ?? [])
            + (probe.hedge.map { ["\(indent)hedge: { after: \(hedgeAfter($0.trigger)), max_extra: \(percent($0.maxExtra)) }"] }
                ?? (inheritedHedge == nil ? [] : ["\(indent)hedge: off"]))
    }

    private static func hedgeAfter(_ trigger: HedgeTrigger) -> String {
        switch trigger {
        case .quantile(let q): trigger.quantileName ?? "p\(Int(q * 100))"
        case .seconds(let seconds): DurationText.format(seconds)
        }
    }

    private static func routingLines(_ routing: RoutingSettings) -> [String] {
        let scoring = routing.scoring
        let health = routing.health
        return [
            "routing:",
            "  stability_margin: \(percent(scoring.stabilityMargin))",
            "  spread_period: \(DurationText.format(scoring.spreadPeriodSeconds))",
            "  price_tie_break: \(percent(scoring.priceTieBreak))",
            "  success_half_life: \(DurationText.format(scoring.successHalfLifeSeconds))",
            "  report_weight: \(scoring.reportWeight)",
            "  ejection:",
            "    consecutive_failures: \(health.consecutiveFailuresToEject)",
            "    failure_ratio: \(percent(health.failureRatioToEject))",
            "    minimum_volume: \(health.minimumVolume)",
            "    base_duration: \(DurationText.format(health.baseEjectionSeconds))",
            "    max_duration: \(DurationText.format(health.maxEjectionSeconds))",
            "    recover_after: \(health.successesToRecover)",
        ]
    }

    private static func percent(_ share: Double) -> String {
        let value = share * 100
        return value == value.rounded() ? "\(Int(value))%" : "\(value)%"
    }

    private static func priceText(_ price: Price) -> String {
        [("input_per_mtok", price.inputPerMTok), ("output_per_mtok", price.outputPerMTok),
         ("per_request", price.perRequest), ("per_second", price.perSecond), ("per_image", price.perImage),
         ("per_audio_second", price.perAudioSecond)]
            .compactMap { name, value in value.map { "\(name): \($0)" } }
            .joined(separator: ", ")
    }

    /// `# from the text-to-image defaults: attempt_timeout, interval, mode, timeout`: the settings the
    /// model took from its task's defaults rather than from the config; nil when none.
    static func taskDefaultsComment(_ model: ModelSettings) -> String? {
        let taken = model.probe.provenance.fromTask.sorted()
        guard !taken.isEmpty else { return nil }
        return "# from the \(model.task.rawValue) defaults: \(taken.map(\.rawValue).joined(separator: ", "))"
    }

    static func quoted(_ text: String) -> String {
        let escaped = SecretShape.redact(text).replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(escaped)\""
    }
}
