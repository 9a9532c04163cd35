import Foundation
import HummingbirdTesting
import SwitchyardConfig
import SwitchyardCore
import SwitchyardServer
import Testing

/// Who may act over TCP: reports need a client token (or `listen.tcp_without_token`), admin
/// routes the admin token; answers name the caller and never the token. Through the router.
@Suite(.timeLimit(.minutes(2))) struct CallerRouteTests {
    static func body(provider: String = "a") -> String {
        let startedAt = RouterHarness.now.secondsSinceEpoch - 1
        return #"{"reports":[{"provider":"\#(provider)","model":"m","started_at":\#(startedAt),"outcome":"ok","status":200,"total_ms":100}]}"#
    }

    @Test func tcpReportsNeedAClientTokenAndAreAttributed() async throws {
        let token = "cli-\(UUID().uuidString)"
        let other = "cli-\(UUID().uuidString)"
        try await RouterHarness.run(configure: { deps in
            deps.clientTokens.replace(with: ClientTokens.Table(entries: [
                ClientTokens.Entry(name: "batch-jobs", token: Secret(token)), ClientTokens.Entry(name: "notebook", token: Secret(other)),
            ]))
        }) { client, harness in
            let bare = try await client.send(.post, "/v1/reports", headers: [.contentType: "application/json"], body: Self.body())
            #expect(bare.status == .unauthorized)
            #expect(bare.headers[.wwwAuthenticate] == "Bearer")
            #expect(bare.text.contains(#"{"error":{"code":"token_required","#))
            let wrong = try await client.send(.post, "/v1/reports", headers: [.authorization: "Bearer \(token)x"], body: Self.body())
            #expect(wrong.status == .unauthorized)
            #expect(wrong.text.contains(#"{"error":{"code":"unknown_token","#))
            let prefix = try await client.send(.post, "/v1/reports", headers: [.authorization: "Bearer \(token.dropLast())"], body: Self.body())
            #expect(prefix.status == .unauthorized)
            #expect(harness.delivered.items.withLock { $0.isEmpty }, "a refused batch delivers nothing")
            let right = try await client.send(.post, "/v1/reports", headers: [.authorization: "Bearer \(token)"], body: Self.body())
            #expect(right.status == .ok)
            #expect(right.text.contains(#""caller":"batch-jobs""#))
            #expect(right.text.contains(#""accepted":1"#))
            let second = try await client.send(.post, "/v1/reports", headers: [.authorization: "bearer \(other)"], body: Self.body())
            #expect(second.text.contains(#""caller":"notebook""#))
            #expect(harness.delivered.items.withLock { $0.count } == 2)

            // Read-only routes stay open over TCP.
            #expect(try await client.send(.get, "/v1/route?model=m").status == .ok)
            for text in [bare.text, wrong.text, prefix.text, right.text, second.text] {
                #expect(!text.contains(token.dropLast()) && !text.contains(other))
            }
        }
    }

    @Test func anonymousTCPReportsAreAcceptedOnlyWhenTheOperatorSaysSo() async throws {
        try await RouterHarness.run(configure: { deps in
            deps.clientTokens.replace(with: ClientTokens.Table(tcpWithoutToken: true))
        }) { client, _ in
            let answer = try await client.send(.post, "/v1/reports", headers: [.contentType: "application/json"], body: Self.body())
            #expect(answer.status == .ok)
            #expect(answer.text.contains(#""caller":"anonymous""#))
            // A token that is no client's is still refused: it is a mistake, not anonymity.
            let wrong = try await client.send(.post, "/v1/reports", headers: [.authorization: "Bearer nope"], body: Self.body())
            #expect(wrong.status == .unauthorized)
        }
    }

    @Test func withoutAConfiguredTokenTCPRefusesEveryAdminRoute() async throws {
        try await RouterHarness.run { client, _ in
            for path in ["/v1/admin/providers/a/drain", "/v1/admin/providers/a/undrain", "/v1/admin/reload"] {
                let answer = try await client.send(.post, path, headers: [.authorization: "Bearer guess"])
                #expect(answer.status == .forbidden, "\(path): \(answer.status)")
                #expect(answer.text.contains(#""code":"admin_forbidden""#))
            }
            #expect(!(try await client.send(.get, "/v1/providers/a")).text.contains("draining"))
        }
    }
}
