import SwitchyardCore
import Testing

/// The gateway's pure decisions: the model grammar, the body's provider preferences, and the
/// Envoy-style attempt policy — all without sockets.
struct GatewayPolicyTests {
    static let descriptors = [
        ("a", "m", "m-up"), ("b", "m", "org/M-Instruct:b"), ("a", "other", "other-up"),
    ].enumerated().map { index, entry in
        TargetDescriptor(target: Target(provider: ProviderID(entry.0), model: ModelName(entry.1)), upstreamModel: entry.2,
                         baseURL: "http://\(entry.0)", price: nil, preferenceOrder: index)
    }
    let catalog = ModelCatalog(descriptors: GatewayPolicyTests.descriptors)

    @Test(arguments: [
        ("m", ModelSelection(model: ModelName("m"))),
        ("m-up", ModelSelection(model: ModelName("m"))),
        ("org/M-Instruct:b", ModelSelection(model: ModelName("m"))),  // an upstream id with a colon is whole
        ("m:cheapest", ModelSelection(model: ModelName("m"), strategy: .cheapest)),
        ("m:fastest", ModelSelection(model: ModelName("m"), strategy: .fastest)),
        ("m-up:latency", ModelSelection(model: ModelName("m"), strategy: .latency)),
        ("m:b", ModelSelection(model: ModelName("m"), pinned: ProviderID("b"))),
        ("org/M-Instruct:b:a", ModelSelection(model: ModelName("m"), pinned: ProviderID("a"))),
    ])
    func theModelGrammarResolves(text: String, expected: ModelSelection) {
        #expect(catalog.resolve(text) == expected)
    }

    @Test(arguments: ["nope", "m:nobody", "other:b", "m:", ":a", ""])
    func unknownNamesAndProvidersThatDoNotServeTheModelAreRefused(text: String) {
        #expect(catalog.resolve(text) == nil)
    }

    /// Discovered router targets (`hf.PARTNER`, upstream `MODEL:PARTNER`) answer to the router's own
    /// spelling: the upstream id or `MODEL:PARTNER` pins that partner, as Hugging Face's router does.
    @Test func aRouterPartnersNamePinsItsDiscoveredProvider() {
        let hub = "meta-llama/Llama-3.1-8B-Instruct"
        let discovered = ["groq", "together"].enumerated().map { index, partner in
            TargetDescriptor(target: Target(provider: ProviderID("hf.\(partner)"), model: ModelName(hub)), upstreamModel: "\(hub):\(partner)",
                             baseURL: "https://router.huggingface.co/v1", price: nil, preferenceOrder: index, origin: .discovered)
        }
        let catalog = ModelCatalog(descriptors: discovered)
        #expect(catalog.resolve("\(hub):groq") == ModelSelection(model: ModelName(hub), pinned: ProviderID("hf.groq")))
        #expect(catalog.resolve("\(hub):hf.together") == ModelSelection(model: ModelName(hub), pinned: ProviderID("hf.together")))
        #expect(catalog.resolve("\(hub):fastest") == ModelSelection(model: ModelName(hub), strategy: .fastest))
        #expect(catalog.resolve(hub) == ModelSelection(model: ModelName(hub)))
        #expect(catalog.resolve("\(hub):novita") == nil)
    }

    @Test func theCatalogListsModelsAndTheirProviders() {
        #expect(catalog.known.map(\.rawValue) == ["m", "other"])
        #expect(catalog.providersByModel[ModelName("m")]?.map(\.rawValue) == ["a", "b"])
    }

    private func candidate(_ provider: String, p50Ms: Double? = nil, tokensPerSecond: Double? = nil, price: Double? = nil) -> RouteCandidate {
        RouteCandidate(provider: ProviderID(provider), upstreamModel: "up", baseURL: "http://x", score: 1, state: .healthy,
                       latencyP50Ms: p50Ms, tokensPerSecond: tokensPerSecond, successRate: 1, pricePerRequest: price, reasons: [])
    }

    private func plan(_ candidates: [RouteCandidate], pinned: String? = nil, _ change: (inout ProviderPreferences) -> Void = { _ in }) -> [String] {
        var preferences = ProviderPreferences()
        change(&preferences)
        let selection = ModelSelection(model: ModelName("m"), pinned: pinned.map { ProviderID($0) })
        let prices = ["a": Price(inputPerMTok: 1, outputPerMTok: 2), "b": Price(inputPerMTok: 5, outputPerMTok: 10)]
        return CandidatePlan.order(candidates, selection: selection, preferences: preferences) { prices[$0.rawValue] }.map(\.provider.rawValue)
    }

    @Test func providerPreferencesFilterOrderAndDemote() {
        let three = [candidate("a", p50Ms: 900, tokensPerSecond: 20, price: 0.01), candidate("b", p50Ms: 100, tokensPerSecond: 200, price: 0.5),
                     candidate("c", p50Ms: 300, tokensPerSecond: 80)]
        #expect(plan(three) == ["a", "b", "c"])
        #expect(plan(three, pinned: "b") == ["b"])
        #expect(plan(three) { $0.order = [ProviderID("c"), ProviderID("b")] } == ["c", "b", "a"])
        #expect(plan(three) { $0.order = [ProviderID("c")]; $0.allowFallbacks = false } == ["c"])
        #expect(plan(three) { $0.only = [ProviderID("a"), ProviderID("c")] } == ["a", "c"])
        #expect(plan(three) { $0.ignore = [ProviderID("a")] } == ["b", "c"])
        #expect(plan(three) { $0.maxPricePerRequest = 0.1 } == ["a", "c"])  // c has no known price: kept
        #expect(plan(three) { $0.maxOutputPerMTok = 5 } == ["a", "c"])
        // Soft preferences move misses down, in their order; nothing is dropped.
        #expect(plan(three) { $0.preferredMaxLatencySeconds = 0.5 } == ["b", "c", "a"])
        #expect(plan(three) { $0.preferredMinThroughput = 100 } == ["b", "a", "c"])
    }

    @Test func sortNamesMapToStrategies() {
        #expect(ProviderPreferences.strategy(sort: "price") == .cheapest)
        #expect(ProviderPreferences.strategy(sort: "throughput") == .fastest)
        #expect(ProviderPreferences.strategy(sort: "latency") == .latency)
        #expect(ProviderPreferences.strategy(sort: "preferred") == .preferred)
        #expect(ProviderPreferences.strategy(sort: "random") == nil)
    }

    @Test func failoverMovesOnAfterProviderFailuresUpToMaxAttempts() {
        let policy = AttemptPolicy(candidateCount: 3, maxAttempts: 3, attemptTimeoutSeconds: 30)
        #expect(policy.first == .tryNext(0))
        for outcome in [AttemptOutcome.connectFailed, .timedOut, .garbage, .status(500), .status(503), .status(429), .status(401)] {
            #expect(policy.decide(after: outcome, attempt: 0, secondsLeft: 10) == .tryNext(1), "\(outcome)")
            #expect(policy.decide(after: outcome, attempt: 2, secondsLeft: 10) == .giveUp, "\(outcome): no fourth candidate")
        }
        #expect(policy.decide(after: .status(500), attempt: 0, secondsLeft: 0) == .giveUp, "the deadline has passed")
        let capped = AttemptPolicy(candidateCount: 5, maxAttempts: 2, attemptTimeoutSeconds: 30)
        #expect(capped.decide(after: .status(502), attempt: 1, secondsLeft: 10) == .giveUp)
        let pinned = AttemptPolicy(candidateCount: 1, maxAttempts: 1, attemptTimeoutSeconds: 30)
        #expect(pinned.decide(after: .status(500), attempt: 0, secondsLeft: 10) == .giveUp)
        #expect(AttemptPolicy(candidateCount: 0, maxAttempts: 3, attemptTimeoutSeconds: 30).first == .giveUp)
    }

    @Test func theRequestsOwnFaultIsReturnedAtOnceAndCountsAgainstNoProvider() {
        let policy = AttemptPolicy(candidateCount: 3, maxAttempts: 3, attemptTimeoutSeconds: 30)
        for status in [400, 404, 413, 422] {
            #expect(policy.decide(after: .status(status), attempt: 0, secondsLeft: 10) == .deliver)
            #expect(AttemptPolicy.errorClass(.status(status)) == nil)
        }
        #expect(policy.decide(after: .answered, attempt: 0, secondsLeft: 10) == .deliver)
        #expect(AttemptPolicy.errorClass(.answered) == nil)
        #expect(AttemptPolicy.errorClass(.status(500)) == .serverError)
        #expect(AttemptPolicy.errorClass(.status(429)) == .rateLimited)
        #expect(AttemptPolicy.errorClass(.timedOut) == .timeout)
        #expect(AttemptPolicy.errorClass(.garbage) == .badResponse)
    }

    @Test func attemptTimeoutsDefaultByKindOfRequest() {
        #expect(AttemptTimeouts.defaultSeconds(streaming: true, generates: true) == 30)
        #expect(AttemptTimeouts.defaultSeconds(streaming: false, generates: true) == 120)
        #expect(AttemptTimeouts.defaultSeconds(streaming: false, generates: false) == 30)
    }
}
