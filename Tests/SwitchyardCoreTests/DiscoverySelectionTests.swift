import SwitchyardCore
import Testing

/// `discover:` filters and bounds, exactly: which catalog entries become targets, and what is cut.
@Suite struct DiscoverySelectionTests {
    private func entry(_ model: String, _ partner: String?, status: CatalogStatus? = .live) -> CatalogEntry {
        CatalogEntry(model: model, partner: partner, published: status.map { PublishedFigures(status: $0) })
    }

    private var catalog: [CatalogEntry] {
        [entry("meta-llama/Llama-3.1-8B-Instruct", "together"), entry("meta-llama/Llama-3.1-8B-Instruct", "groq", status: .error),
         entry("Qwen/Qwen3-32B", "together"), entry("Qwen/Qwen3-32B", "novita", status: .staging), entry("Qwen/Qwen3-32B", "together")]
    }

    @Test func defaultsKeepEveryEntryOnceInCatalogOrder() {
        let (kept, cut) = DiscoverySettings().select(catalog)
        #expect(kept.map(\.upstream) == ["meta-llama/Llama-3.1-8B-Instruct:together", "meta-llama/Llama-3.1-8B-Instruct:groq",
                                         "Qwen/Qwen3-32B:together", "Qwen/Qwen3-32B:novita"])
        #expect(cut == 0)
    }

    @Test func modelGlobsPartnerListsAndStatusesFilter() {
        var settings = DiscoverySettings()
        settings.models = ["Qwen/*"]
        #expect(settings.select(catalog).kept.map(\.upstream) == ["Qwen/Qwen3-32B:together", "Qwen/Qwen3-32B:novita"])
        settings.models = ["meta-llama/Llama-3.?-8B-Instruct", "Qwen/Qwen3-32B"]
        settings.allowProviders = ["together", "groq", "novita"]
        settings.denyProviders = ["novita"]
        settings.includeStatus = [.live]
        #expect(settings.select(catalog).kept.map(\.upstream) == ["meta-llama/Llama-3.1-8B-Instruct:together", "Qwen/Qwen3-32B:together"])
    }

    @Test func localEntriesIgnorePartnerListsAndEntriesWithoutStatusAreKept() {
        var settings = DiscoverySettings()
        settings.allowProviders = ["together"]
        settings.includeStatus = [.live]
        let local = [entry("llama3.1:8b", nil, status: nil), entry("qwen2.5:7b", nil, status: nil)]
        #expect(settings.select(local).kept.map(\.upstream) == ["llama3.1:8b", "qwen2.5:7b"])
    }

    @Test func maxTargetsCutsAndCountsWhatWasLeftOut() {
        var settings = DiscoverySettings()
        settings.maxTargets = 3
        let many = (0..<100_000).map { entry("org/model-\($0)", "p") }
        let (kept, cut) = settings.select(many)
        #expect(kept.map(\.model) == ["org/model-0", "org/model-1", "org/model-2"])
        #expect(cut == 99_997)
    }

    @Test(arguments: [
        ("*", "anything/at all", true), ("meta-llama/*", "meta-llama/Llama-3.1-8B-Instruct", true),
        ("meta-llama/*", "Qwen/Qwen3", false), ("*-Instruct", "a/b-Instruct", true), ("*-Instruct", "a/b-Instruct-v2", false),
        ("a?c", "abc", true), ("a?c", "ac", false), ("exact/id", "exact/id", true), ("exact/id", "exact/idx", false), ("*a*b*", "xxaxxbxx", true),
    ])
    func globs(pattern: String, text: String, matches: Bool) {
        #expect(Glob.matches(pattern, text) == matches)
    }
}
