import SwitchyardCore
import Testing

private let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000)
private let model = ModelName("llama")

/// A healthy target with `latency` seconds per answer and the given capabilities.
private func target(_ provider: String, order: Int, latency: Double, _ capabilities: Capabilities) -> TargetSnapshot {
    let target = Target(provider: ProviderID(provider), model: model)
    var health = TargetHealth(since: t0)
    var stats = TargetStats()
    for index in 0..<20 {
        let o = Observation(target: target, source: .probe, startedAt: t0 + Double(index), outcome: .ok, totalSeconds: latency)
        stats.record(o, weight: 1, halfLifeSeconds: 300)
        _ = health.observe(o, policy: HealthPolicy())
    }
    let descriptor = TargetDescriptor(target: target, upstreamModel: "up-\(provider)", baseURL: "http://\(provider)", price: nil,
                                      preferenceOrder: order, capabilities: capabilities)
    return TargetSnapshot(descriptor: descriptor, health: health, stats: stats)
}

/// Capability needs on a route: known lacks are left out and listed, unknowns kept after known fits.
@Suite struct CapabilityRoutingTests {
    let ranker = RouteRanker()
    let now = t0 + 30
    var fleet: [TargetSnapshot] {
        [
            target("fastest-no-tools", order: 0, latency: 0.05, Capabilities(contextLength: 32768, tools: false, structuredOutput: true, inputModalities: [.text])),
            target("unknown", order: 1, latency: 0.10, .unknown),
            target("tools-long", order: 2, latency: 0.30, Capabilities(contextLength: 262_144, tools: true, structuredOutput: false, inputModalities: [.text, .image])),
        ]
    }

    @Test func withoutNeedsEveryTargetIsACandidateAndNothingIsExcluded() {
        let route = ranker.rank(fleet, query: RouteQuery(model: model), now: now)
        #expect(route.candidates.map(\.provider.rawValue) == ["fastest-no-tools", "unknown", "tools-long"])
        #expect(route.excluded.isEmpty)
    }

    @Test func toolsLeaveOutTheTargetKnownWithoutThemAndRankUnknownsAfterKnownFits() {
        let route = ranker.rank(fleet, query: RouteQuery(model: model, needs: CapabilityNeeds(tools: true)), now: now)
        #expect(route.candidates.map(\.provider.rawValue) == ["tools-long", "unknown"], "faster, but not known to have tools: after")
        #expect(route.excluded == [RouteExclusion(provider: ProviderID("fastest-no-tools"), reason: "no tool calling")])
        #expect(route.candidates[1].reasons.last == "tool support unknown")
        #expect(!route.candidates[0].reasons.contains("tool support unknown"))
    }

    @Test func aLongPromptSkipsShortContextsAndSaysWhy() {
        let route = ranker.rank(fleet, query: RouteQuery(model: model, needs: CapabilityNeeds(minContext: 200_000)), now: now)
        #expect(route.candidates.map(\.provider.rawValue) == ["tools-long", "unknown"])
        #expect(route.excluded == [RouteExclusion(provider: ProviderID("fastest-no-tools"), reason: "context 32768 < 200000 needed")])
        #expect(route.candidates[1].reasons.last == "context length unknown")
    }

    @Test func everyLackIsNamedAndNoCandidateIsLeftWhenNoneCanServe() {
        let needs = CapabilityNeeds(tools: true, structuredOutput: true, vision: true, minContext: 300_000)
        let route = ranker.rank(fleet.filter { $0.descriptor.target.provider != ProviderID("unknown") }, query: RouteQuery(model: model, needs: needs), now: now)
        #expect(route.candidates.isEmpty && !route.panic)
        #expect(route.excluded == [
            RouteExclusion(provider: ProviderID("fastest-no-tools"), reason: "no tool calling; no image input; context 32768 < 300000 needed"),
            RouteExclusion(provider: ProviderID("tools-long"), reason: "no structured output; context 262144 < 300000 needed"),
        ])
    }

    @Test func aFilteredQueryIsNotCanonical() {
        #expect(RouteQuery(model: model).isCanonical)
        #expect(!RouteQuery(model: model, needs: CapabilityNeeds(vision: true)).isCanonical)
        #expect(!RouteQuery(model: model, needs: CapabilityNeeds(minContext: 1)).isCanonical)
    }

    @Test func aFilteredAnswerDoesNotMoveTheIncumbent() {
        let desk = RouteDesk()
        let book = fleet
        let plain = desk.route(RouteQuery(model: model), over: book, version: 1, now: now)
        #expect(plain.candidates.first?.provider == ProviderID("fastest-no-tools"))
        let filtered = desk.route(RouteQuery(model: model, needs: CapabilityNeeds(tools: true)), over: book, version: 2, now: now)
        #expect(filtered.candidates.first?.provider == ProviderID("tools-long"))
        #expect(desk.incumbent(of: model, strategy: .balanced) == ProviderID("fastest-no-tools"))
    }

    @Test func needsThatChangeNothingStillRecordTheLeader() {
        let desk = RouteDesk()
        let known = fleet.filter { $0.descriptor.capabilities != .unknown }
        let route = desk.route(RouteQuery(model: model, needs: CapabilityNeeds(minContext: 1000)), over: known, version: 1, now: now)
        #expect(!route.shapedByNeeds && route.candidates.first?.provider == ProviderID("fastest-no-tools"))
        #expect(desk.incumbent(of: model, strategy: .balanced) == ProviderID("fastest-no-tools"), "the plain ranking's answer: recorded")
        let shaped = RouteDesk()
        _ = shaped.route(RouteQuery(model: model, needs: CapabilityNeeds(minContext: 1000)), over: fleet, version: 1, now: now)
        #expect(shaped.incumbent(of: model, strategy: .balanced) == nil, "'unknown' moved down: not the plain ranking, not recorded")
    }

    @Test(arguments: [
        ("tools", CapabilityNeeds(tools: true)),
        ("vision,structured_output", CapabilityNeeds(structuredOutput: true, vision: true)),
        ("tools,tools", CapabilityNeeds(tools: true)),
    ])
    func needsParse(text: String, expected: CapabilityNeeds) throws {
        #expect(try CapabilityNeeds.parse(needs: text).get() == expected)
    }

    @Test(arguments: [("tools,telepathy", "telepathy"), ("tools,", ""), ("Tools", "Tools")])
    func aBadNeedIsNamed(text: String, token: String) {
        #expect(CapabilityNeeds.parse(needs: text) == .failure(CapabilityNeeds.UnknownNeed(token: token)))
    }
}

/// A 400 that says a feature is unsupported marks the target for a while, on the given clock.
@Suite struct LearnedCapabilitiesTests {
    @Test func aLearnedRefusalHoldsForItsTimeAndThenExpires() {
        var learned = LearnedCapabilities()
        let first = learned.learn(.tools, at: t0, forSeconds: 3600)
        #expect(first, "news")
        let again = learned.learn(.tools, at: t0 + 10, forSeconds: 3600)
        #expect(!again, "already believed: not news, but extended")
        let configured = Capabilities(contextLength: 8192, tools: true, structuredOutput: true)
        #expect(learned.applied(to: configured, at: t0 + 3609.999).tools == false, "a learned no beats a configured yes")
        #expect(learned.applied(to: configured, at: t0 + 3609.999).structuredOutput == true, "only what was refused")
        #expect(learned.applied(to: configured, at: t0 + 3610) == configured, "expired exactly at its end")
        #expect(learned.reasons(at: t0 + 10) == ["learned: no tool calling (a 400 said so) until \((t0 + 3610).timeOfDay)"])
        #expect(learned.reasons(at: t0 + 3610).isEmpty)
        let afterExpiry = learned.learn(.tools, at: t0 + 3610, forSeconds: 60)
        #expect(afterExpiry, "news again once expired")
    }

    @Test func theHealthBookLeavesALearnedTargetOutOfRoutesThatNeedItUntilItExpires() {
        let a = TargetDescriptor(target: Target(provider: ProviderID("a"), model: model), upstreamModel: "a", baseURL: "http://a", price: nil, preferenceOrder: 0,
                                 capabilities: Capabilities(tools: true))
        let b = TargetDescriptor(target: Target(provider: ProviderID("b"), model: model), upstreamModel: "b", baseURL: "http://b", price: nil, preferenceOrder: 1)
        let book = HealthBook(descriptors: [a, b], now: t0)
        let needsTools = RouteQuery(model: model, strategy: .preferred, needs: CapabilityNeeds(tools: true))
        #expect(book.learnUnsupported(.tools, of: a.target, at: t0, forSeconds: 3600))
        let health = book.snapshots().map(\.health)
        guard case .route(let during) = book.route(needsTools, now: t0 + 3599) else { Issue.record("no route"); return }
        #expect(during.candidates.map(\.provider) == [b.target.provider])
        #expect(during.excluded == [RouteExclusion(provider: a.target.provider, reason: "no tool calling")])
        guard case .route(let plain) = book.route(RouteQuery(model: model, strategy: .preferred), now: t0 + 1) else { Issue.record("no route"); return }
        #expect(plain.candidates[0].reasons.contains("learned: no tool calling (a 400 said so) until \((t0 + 3600).timeOfDay)"), "shown in the reasons")
        #expect(book.snapshots().map(\.health) == health, "counted against no provider's health")
        guard case .route(let after) = book.route(needsTools, now: t0 + 3600) else { Issue.record("no route"); return }
        #expect(after.candidates.map(\.provider) == [a.target.provider, b.target.provider])
        #expect(after.excluded.isEmpty)
    }

    @Test func aReloadKeepsWhatATargetThatStaysTaught() {
        let a = TargetDescriptor(target: Target(provider: ProviderID("a"), model: model), upstreamModel: "a", baseURL: "http://a", price: nil, preferenceOrder: 0)
        let book = HealthBook(descriptors: [a], now: t0)
        book.learnUnsupported(.structuredOutput, of: a.target, at: t0)
        var moved = a
        moved.baseURL = "http://a2"
        book.reconfigure(descriptors: [moved], now: t0 + 1)
        #expect(book.snapshots().first?.capabilities(at: t0 + 2).structuredOutput == false)
        #expect(!book.learnUnsupported(.tools, of: Target(provider: ProviderID("gone"), model: model), at: t0), "a target not configured learns nothing")
    }

    @Test(arguments: [
        (#"{"error":{"message":"This model does not support tools"}}"#, [UnsupportedFeature.tools]),
        (#"{"object":"error","message":"\"auto\" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set"}"#, [.tools]),
        (#"{"error":"registry.ollama.ai/library/gemma:2b does not support tools"}"#, [.tools]),
        (#"{"error":{"message":"response_format json_schema is not supported by this model"}}"#, [.structuredOutput]),
        (#"{"error":{"message":"Structured outputs are not supported"}}"#, [.structuredOutput]),
        (#"{"error":{"message":"max_tokens must be at most 4096"}}"#, []),
        (#"{"error":{"message":"tools: invalid schema for function 'f'"}}"#, []),
    ] as [(String, [UnsupportedFeature])])
    func whatA400Says(body: String, said: [UnsupportedFeature]) {
        #expect(UnsupportedFeature.said(in: body, asked: [.tools, .structuredOutput]) == Set(said))
    }

    @Test func onlyWhatTheRequestAskedIsLearned() {
        #expect(UnsupportedFeature.said(in: "tools are not supported", asked: [.structuredOutput]).isEmpty)
        #expect(UnsupportedFeature.said(in: "tools are not supported", asked: []).isEmpty)
    }
}
