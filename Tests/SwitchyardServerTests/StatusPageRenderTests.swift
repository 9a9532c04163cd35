import Foundation
import SwitchyardCore
import SwitchyardServer
import Testing

/// The status page's HTML from hand-made content: escaping of every dynamic string,
/// sparklines from minute rollups, and what shows when there is no history.
@Suite struct StatusPageRenderTests {
    static let now = Timestamp(secondsSinceEpoch: 1_800_003_600)
    static let hostile = #"<script>alert("x")</script><img src=x onerror='alert(1)'>&amp;"#

    static func row(provider: String, model: String, upstream: String = "up", error: String? = nil,
                    minutes: [HistoryBucket] = []) -> StatusPageContent.Row {
        let target = Target(provider: ProviderID(provider), model: ModelName(model))
        var stats = TargetStats()
        stats.record(Observation(target: target, source: .probe, startedAt: now + -10, outcome: .ok, totalSeconds: 0.120, ttftSeconds: 0.040),
                     weight: 1, halfLifeSeconds: 300)
        if let error {
            stats.record(Observation(target: target, source: .probe, startedAt: now + -5, outcome: .failure(.serverError),
                                     httpStatus: 500, totalSeconds: 0.01, message: error), weight: 1, halfLifeSeconds: 300)
        }
        let descriptor = TargetDescriptor(target: target, upstreamModel: upstream, baseURL: "http://127.0.0.1:1/v1",
                                          price: Price(inputPerMTok: 0.18, outputPerMTok: 0.59), preferenceOrder: 0)
        return StatusPageContent.Row(snapshot: TargetSnapshot(descriptor: descriptor, health: TargetHealth(since: now + -60), stats: stats),
                                     successRate: 0.5, minutes: minutes)
    }

    static func ready() -> Readiness.Status {
        let readiness = Readiness()
        readiness.update { $0.configLoaded = true; $0.firstProbeRoundDone = true }
        return readiness.current
    }

    /// Targets are grouped by task, chat first, each group headed by its task and what it ranks on;
    /// a page of one task has no headings. Prices per image show in the task's unit.
    @Test func targetsAreGroupedByTask() {
        var image = Self.row(provider: "fal", model: "flux")
        image.snapshot.descriptor.task = .textToImage
        image.snapshot.descriptor.price = Price(perImage: 0.004)
        let chat = Self.row(provider: "local", model: "m")
        let html = StatusPageHTML.render(StatusPageContent(version: "t", readiness: Self.ready(), now: Self.now, rows: [image, chat, Self.row(provider: "b", model: "m")],
                                                           events: [], historyProblem: nil))
        let groups = html.components(separatedBy: #"<tr class="task-group" data-task=""#).dropFirst()
        #expect(groups.map { String($0.prefix { $0 != "\"" }) } == ["chat", "text-to-image"])
        #expect(groups.first?.contains(#"data-provider="local""#) == true && groups.first?.contains(#"data-provider="b""#) == true)
        #expect(groups.last?.contains(#"data-provider="fal" data-model="flux" data-state="unknown" data-task="text-to-image""#) == true)
        #expect(html.contains("text-to-image <span class=\"meta\">1 target · ranked on seconds per image</span>"))
        #expect(html.contains("$0.004/image"))
        let single = StatusPageHTML.render(StatusPageContent(version: "t", readiness: Self.ready(), now: Self.now, rows: [chat],
                                                             events: [], historyProblem: nil))
        #expect(!single.contains(#"<tr class="task-group""#))
    }

    /// Each target shows what it can serve as routes see it now (a learned refusal included) and whether it was discovered.
    @Test func everyTargetShowsItsCapabilitiesAndOrigin() {
        var configured = Self.row(provider: "local", model: "m")
        configured.snapshot.descriptor.capabilities = Capabilities(contextLength: 32768, tools: true, inputModalities: [.text, .image])
        configured.snapshot.learned.learn(.tools, at: Self.now + -5)
        var discovered = Self.row(provider: "router", model: "m")
        discovered.snapshot.descriptor.origin = .discovered
        let html = StatusPageHTML.render(StatusPageContent(version: "t", readiness: Self.ready(), now: Self.now, rows: [configured, discovered],
                                                           events: [], historyProblem: nil))
        #expect(html.contains(#"<span class="caps" data-origin="configured">context 32768 · no tools · in: text, image</span>"#))
        #expect(html.contains(#"<span class="caps" data-origin="discovered">unknown · discovered</span>"#))
    }

    @Test func everyDynamicStringIsEscaped() throws {
        var status = Self.ready()
        status.storageProblem = Self.hostile
        let target = Target(provider: ProviderID(Self.hostile), model: ModelName(Self.hostile))
        let content = StatusPageContent(
            version: Self.hostile, readiness: status, now: Self.now,
            rows: [Self.row(provider: Self.hostile, model: Self.hostile, upstream: Self.hostile, error: Self.hostile)],
            events: [Transition(target: target, from: .healthy, to: .ejected, at: Self.now + -30, reason: Self.hostile)],
            daemonEvents: [DaemonEvent(at: Self.now + -10, kind: .reloadFailed, caller: Self.hostile, message: Self.hostile)],
            historyProblem: Self.hostile
        )
        let html = StatusPageHTML.render(content)
        // The refused reload is listed, newest first, above the older transition.
        let reload = try #require(html.range(of: #"data-kind="reload_failed""#))
        let transition = try #require(html.range(of: #"data-to="ejected""#))
        #expect(reload.lowerBound < transition.lowerBound)
        #expect(html.contains("reload refused"))
        for raw in ["<script", "<img", "onerror='", "alert(\"x\")"] {
            #expect(!html.contains(raw), "unescaped '\(raw)' in the page")
        }
        let escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&#39;alert(1)&#39;&gt;&amp;amp;"
        // provider and model (row text, data attributes, event), upstream, error, reason, version, storage and history
        // problems, and the refused reload's caller and message.
        #expect(html.components(separatedBy: escaped).count - 1 >= 12)
        #expect(html.contains(#"data-provider="\#(escaped)""#))
    }

    @Test func sparklineDrawsLatencyAndColoursEachMinuteBySuccess() {
        let start = StatusPageContent.windowStart(Self.now)
        let target = Target(provider: ProviderID("p"), model: ModelName("m"))
        func minute(_ index: Int, count: Int, failures: Int, ms: Double) -> HistoryBucket {
            var latency = LatencyHistogram()
            latency.add(milliseconds: ms, count: count - failures)
            return HistoryBucket(target: target, start: start + Double(index * 60), count: count,
                                 failures: failures > 0 ? [.serverError: failures] : [:], latency: latency)
        }
        let minutes = [minute(0, count: 10, failures: 0, ms: 50), minute(1, count: 10, failures: 1, ms: 80),
                       minute(2, count: 10, failures: 10, ms: 0), minute(58, count: 5, failures: 0, ms: 40),
                       minute(59, count: 5, failures: 0, ms: 40),
                       minute(60, count: 5, failures: 0, ms: 40)]  // the next minute: outside the window
        let content = StatusPageContent(version: "1", readiness: Self.ready(), now: Self.now,
                                        rows: [Self.row(provider: "p", model: "m", minutes: minutes)], events: [], historyProblem: nil)
        let html = StatusPageHTML.render(content)
        #expect(html.components(separatedBy: "<svg class=\"spark\"").count == 2)
        #expect(html.components(separatedBy: "<rect class=\"ok\"").count - 1 == 2)
        #expect(html.contains(#"<rect class="ok" x="174" y="29" width="6""#), "minutes 58 and 59 are one run")
        #expect(html.components(separatedBy: "<rect class=\"warn\"").count - 1 == 1)
        #expect(html.components(separatedBy: "<rect class=\"bad\"").count - 1 == 1)
        // Minutes 0 and 1 are one segment; minute 2 has no latency (all failed), so minute 58 starts another.
        #expect(html.contains(#"<path class="latency" d="M1 "#))
        #expect(html.components(separatedBy: "l0 0").count - 1 == 2)
        #expect(html.contains("40 observations, 72.5 % ok"))
    }

    @Test func withoutHistoryEveryRowStillHasAnSVGAndThePageSaysWhy() {
        let content = StatusPageContent(version: "1", readiness: Readiness().current, now: Self.now,
                                        rows: [Self.row(provider: "a", model: "m"), Self.row(provider: "b", model: "m")],
                                        events: [], historyProblem: "this daemon keeps no history store")
        let html = StatusPageHTML.render(content)
        #expect(html.components(separatedBy: "<svg class=\"spark\"").count - 1 == 2)
        #expect(html.contains("no data yet"))
        #expect(html.contains("No events: this daemon keeps no history store."))
        #expect(html.contains(#"data-ready="false""#))
        #expect(html.contains("configuration not loaded"))
        #expect(html.contains(#"<meta http-equiv="refresh" content="10">"#))
        #expect(html.contains(#"<meta name="viewport""#))
        #expect(!html.contains("<script"))
        #expect(!html.contains("src=") && !html.contains("<link"), "the page loads nothing else")
    }

    @Test func theGatewaySectionShowsRequestsAndFailoversPerModelAndProvider() throws {
        var llama = GatewayTraffic.ModelTraffic(model: ModelName("llama"), requests: 12, failovers: 3, providers: [
            ProviderID("sim-flaky"): .init(served: 4, failed: 3), ProviderID("sim-fast"): .init(served: 8, failed: 0),
        ])
        llama.hedges = 2
        llama.hedgesWon = 1
        let traffic = [
            llama,
            GatewayTraffic.ModelTraffic(model: ModelName(Self.hostile), requests: 1, providers: [ProviderID(Self.hostile): .init(served: 1)]),
        ]
        let page = { (gateway: [GatewayTraffic.ModelTraffic]?) in
            StatusPageHTML.render(StatusPageContent(version: "1", readiness: Self.ready(), now: Self.now, rows: [Self.row(provider: "a", model: "m")],
                                                    events: [], historyProblem: nil, gateway: gateway))
        }
        let html = page(traffic)
        let section = try #require(html.range(of: #"<section id="gateway">"#))
        #expect(section.lowerBound > html.range(of: #"<section id="targets">"#)!.lowerBound)
        #expect(section.lowerBound < html.range(of: #"<section id="events">"#)!.lowerBound)
        #expect(html.contains(#"<tr class="gw" data-model="llama" data-requests="12" data-failovers="3" data-hedges="2" data-hedges-won="1">"#))
        #expect(html.contains(#"<td class="num" data-label="Hedges">2 (1)</td>"#), "hedges started, and won by the hedge")
        // Providers by answers served, the failed attempts beside them.
        let fast = try #require(html.range(of: #"data-provider="sim-fast" data-served="8" data-failed="0">"#))
        let flaky = try #require(html.range(of: #"data-provider="sim-flaky" data-served="4" data-failed="3">"#))
        #expect(fast.lowerBound < flaky.lowerBound)
        #expect(html.contains(#"<span class="failed">(3 failed)</span>"#))
        #expect(!html.contains("<script") && html.contains(#"data-model="&lt;script&gt;"#))
        // No traffic yet: a note; the gateway off: no section.
        #expect(page([]).contains("No gateway requests yet"))
        #expect(!page(nil).contains(#"id="gateway""#))
    }

    @Test func theGatewaySectionListsClientsWithTheirSpendLimitsAndRefusals() throws {
        var content = StatusPageContent(version: "1", readiness: Self.ready(), now: Self.now, rows: [Self.row(provider: "a", model: "m")],
                                        events: [], historyProblem: nil, gateway: [])
        content.clients = [
            ClientUsage(client: "batch", spentTodayUSD: 0.5, limits: ClientLimits(requestsPerMinute: 60, usdPerDay: 0.5),
                        refusedSinceStart: .init(rate: 2, budget: 7)),
            ClientUsage(client: Self.hostile, spentTodayUSD: 0.0004, limits: ClientLimits()),
        ]
        let html = StatusPageHTML.render(content)
        let batch = try #require(html.range(of: #"data-client="batch""#).map { html[$0.lowerBound...].prefix { $0 != "\n" } })
        #expect(batch.contains(#"data-refused-rate="2" data-refused-budget="7""#))
        #expect(batch.contains(#"<td class="num failed" data-label="Spent today">$0.50 of $0.50</td>"#), "at its budget: marked")
        #expect(batch.contains(#"<td class="num" data-label="Rate">60/min</td>"#))
        #expect(html.contains(#"<td class="num" data-label="Spent today">$0.0004 (no budget)</td>"#))
        #expect(html.contains(#"<td class="num" data-label="Rate">unlimited</td>"#))
        #expect(!html.contains("<script") && html.contains(#"data-client="&lt;script&gt;"#))
        // The clients table comes with the note when no request has been routed yet.
        #expect(html.contains("No gateway requests yet"))
        content.clients = []
        #expect(!StatusPageHTML.render(content).contains("gw-client"))
    }
}
