import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import SwitchyardConfig
import SwitchyardCore
import SwitchyardServer
import SwitchyardStore
import SwitchyardTestSupport

/// The API's router with its real parts (health book, metrics, an SQLite history store in a
/// temporary directory), driven through Hummingbird's `.router` test framework: no sockets, no
/// daemon, no probes. Two providers `a` and `b` serve model `m`. The testing channel has no
/// Unix address, so every request is a TCP request (tokens apply).
struct RouterHarness: Sendable {
    static let now = Timestamp(secondsSinceEpoch: 1_800_000_000)

    struct FixedClock: WallClock {
        var instant: Timestamp
        func now() -> Timestamp { instant }
    }

    /// Observations the routes delivered (accepted reports), in order.
    final class Delivered: Sendable {
        let items = Mutex<[Observation]>([])
    }

    var deps: APIDependencies
    let delivered: Delivered

    static var descriptors: [TargetDescriptor] {
        ["a", "b"].enumerated().map { index, provider in
            TargetDescriptor(target: Target(provider: ProviderID(provider), model: ModelName("m")), upstreamModel: "m-up",
                             baseURL: "http://127.0.0.1:\(9000 + index)/v1", price: nil, preferenceOrder: index)
        }
    }

    /// Runs `body` against a fresh router; `configure` adjusts the dependencies first (tokens, hooks).
    static func run(descriptors: [TargetDescriptor] = descriptors, configure: (inout APIDependencies) -> Void = { _ in },
                    _ body: @Sendable (any TestClientProtocol, RouterHarness) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory + "/switchyard.db")
            let targets = descriptors.map(\.target)
            let delivered = Delivered()
            var deps = APIDependencies(
                healthBook: HealthBook(descriptors: descriptors, now: now), readiness: Readiness(),
                metrics: SwitchyardMetrics(targets: targets.map { MetricsTarget($0, kind: "openai") }, version: "test"),
                clock: FixedClock(instant: now), deliver: { observation in delivered.items.withLock { $0.append(observation) } },
                history: store)
            configure(&deps)
            let harness = RouterHarness(deps: deps, delivered: delivered)
            let app = Application(router: APIRoutes.router(deps))
            try await app.test(.router) { client in
                try await body(client, harness)
            }
        }
    }
}

extension TestResponse {
    /// The body as text.
    var text: String { String(buffer: body) }
}

extension TestClientProtocol {
    /// A request with an optional text body; `headers` as `name: value` pairs.
    func send(_ method: HTTPRequest.Method, _ uri: String, headers: [HTTPField.Name: String] = [:], body: String? = nil) async throws -> TestResponse {
        var fields = HTTPFields()
        for (name, value) in headers { fields[name] = value }
        return try await execute(uri: uri, method: method, headers: fields, body: body.map { ByteBuffer(string: $0) })
    }
}
