import SwitchyardCore
import Testing

private let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000)
private let flux = ModelName("flux")

/// A healthy target of `task` whose every probe took `seconds`.
private func descriptor(_ provider: String, task: InferenceTask, order: Int, price: Price? = nil) -> TargetDescriptor {
    TargetDescriptor(target: Target(provider: ProviderID(provider), model: flux), upstreamModel: "up-\(provider)", baseURL: "http://\(provider)",
                     price: price, preferenceOrder: order, task: task)
}

private func observe(_ book: HealthBook, _ provider: String, seconds: Double, count: Int = 10) {
    for index in 0..<count {
        book.observe(Observation(target: Target(provider: ProviderID(provider), model: flux), source: .probe, startedAt: t0 + Double(index),
                                 outcome: .ok, totalSeconds: seconds))
    }
}

/// Routes are per (model, task): one model name may have targets of several tasks, and a route
/// for one task ranks only that task's targets and remembers its own incumbent.
@Suite struct TaskRoutingTests {
    let book = HealthBook(descriptors: [
        descriptor("chat-fast", task: .chat, order: 0),
        descriptor("img-slow", task: .textToImage, order: 1),
        descriptor("img-fast", task: .textToImage, order: 2),
        descriptor("chat-slow", task: .chat, order: 3),
    ], now: t0)

    init() {
        observe(book, "chat-fast", seconds: 0.2)
        observe(book, "chat-slow", seconds: 0.9)
        observe(book, "img-slow", seconds: 40)
        observe(book, "img-fast", seconds: 4)
    }

    private func route(_ task: InferenceTask?) -> Route? {
        let query = task.map { RouteQuery(model: flux, task: $0) } ?? RouteQuery(model: flux)
        guard case .route(let route) = book.route(query, now: t0 + 60) else { return nil }
        return route
    }

    @Test func aRouteRanksOnlyItsTasksTargetsAndChatIsTheDefault() throws {
        let chat = try #require(route(nil))
        #expect(chat.task == .chat)
        #expect(chat.candidates.map(\.provider.rawValue) == ["chat-fast", "chat-slow"])
        let image = try #require(route(.textToImage))
        #expect(image.task == .textToImage)
        #expect(image.candidates.map(\.provider.rawValue) == ["img-fast", "img-slow"])
    }

    @Test func eachTaskKeepsItsOwnIncumbent() throws {
        _ = route(.chat)
        _ = route(.textToImage)
        #expect(book.routing.incumbent(of: flux, strategy: .balanced, task: .chat) == ProviderID("chat-fast"))
        #expect(book.routing.incumbent(of: flux, strategy: .balanced, task: .textToImage) == ProviderID("img-fast"))
    }

    @Test func aTaskTheModelHasNoTargetForNamesTheTasksItHas() {
        #expect(book.route(RouteQuery(model: flux, task: .embeddings), now: t0 + 60) == .unservedTask(served: [.chat, .textToImage]))
        #expect(book.route(RouteQuery(model: ModelName("nope"), task: .embeddings), now: t0 + 60) == .unknownModel(known: [flux]))
    }

    @Test func scoresAreRankedPerTask() {
        let scores = book.scores(now: t0 + 60, strategies: [.balanced])
        #expect(scores.count == 4)
        let image = scores.filter { $0.target.provider.rawValue.hasPrefix("img") }.sorted { $0.score > $1.score }
        #expect(image.map(\.target.provider.rawValue) == ["img-fast", "img-slow"])
    }
}
