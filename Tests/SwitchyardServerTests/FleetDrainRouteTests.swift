import Foundation
import HummingbirdTesting
import Synchronization
import SwitchyardConfig
import SwitchyardCore
import SwitchyardServer
import Testing

/// `POST /v1/admin/providers/{name}/drain?fleet=true`: recorded for the fleet first, then applied
/// here; refused without `fleet:`, and nothing changes when the fleet cannot take it. Through the router.
@Suite(.timeLimit(.minutes(2))) struct FleetDrainRouteTests {
    private static let token = "admin-\(UUID().uuidString)"
    private static var bearer: String { "Bearer \(token)" }

    private final class Calls: Sendable {
        let list = Mutex<[String]>([])
    }

    @Test func withoutFleetTheFleetDrainIsRefusedAndNothingChanges() async throws {
        try await RouterHarness.run(configure: { $0.adminToken = AdminToken(Secret(Self.token)) }) { client, _ in
            let answer = try await client.send(.post, "/v1/admin/providers/a/drain?fleet=true", headers: [.authorization: Self.bearer])
            #expect(answer.status == .conflict)
            #expect(answer.text.contains(#""code":"fleet_not_configured""#))
            #expect(!(try await client.send(.get, "/v1/providers/a")).text.contains("draining"))
            // Plain drains work as before; a bad value names the parameter.
            let bad = try await client.send(.post, "/v1/admin/providers/a/drain?fleet=1", headers: [.authorization: Self.bearer])
            #expect(bad.status == .badRequest)
            #expect(bad.text.contains("fleet:"))
            #expect(try await client.send(.post, "/v1/admin/providers/a/drain?fleet=false", headers: [.authorization: Self.bearer]).status == .ok)
            #expect(try await client.send(.get, "/v1/providers/a").text.contains("draining"))
        }
    }

    @Test func aFleetDrainIsRecordedWithItsCallerThenApplied() async throws {
        let calls = Calls()
        try await RouterHarness.run(configure: { deps in
            deps.adminToken = AdminToken(Secret(Self.token))
            deps.admin.fleetDrain = { provider, draining, caller in calls.list.withLock { $0.append("\(provider) \(draining) \(caller)") } }
        }) { client, _ in
            let answer = try await client.send(.post, "/v1/admin/providers/a/drain?fleet=true", headers: [.authorization: Self.bearer])
            #expect(answer.status == .ok)
            #expect(calls.list.withLock { $0 } == ["a true token"])
            #expect(try await client.send(.get, "/v1/providers/a").text.contains("draining"))
            // An unknown provider is a 404 and is not recorded for the fleet.
            let unknown = try await client.send(.post, "/v1/admin/providers/zz/drain?fleet=true", headers: [.authorization: Self.bearer])
            #expect(unknown.status == .notFound)
            #expect(calls.list.withLock { $0.count } == 1)
        }
    }

    @Test func whenTheFleetCannotTakeItNothingChanges() async throws {
        struct Down: Error {}
        try await RouterHarness.run(configure: { deps in
            deps.adminToken = AdminToken(Secret(Self.token))
            deps.admin.fleetDrain = { _, _, _ in throw Down() }
        }) { client, _ in
            let answer = try await client.send(.post, "/v1/admin/providers/a/drain?fleet=true", headers: [.authorization: Self.bearer])
            #expect(answer.status == .serviceUnavailable)
            #expect(answer.text.contains(#""code":"fleet_unreachable""#))
            #expect(!(try await client.send(.get, "/v1/providers/a")).text.contains("draining"))
        }
    }
}
