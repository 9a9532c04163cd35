import Foundation
import SwitchyardClient
import SwitchyardCore
import Testing

/// Reports carry their caller: the Unix socket peer, a client token on TCP; TCP without a
/// token is refused unless `listen.tcp_without_token: true`.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ReportCallerTests {
    static func body(outcome: String = "ok", provider: String = "a") -> String {
        let now = Date().timeIntervalSince1970
        return #"{"reports":[{"provider":"\#(provider)","model":"m","started_at":\#(now - 1),"outcome":"\#(outcome)","status":200,"total_ms":100}]}"#
    }

    @Test func tcpReportsNeedAClientTokenAndAreAttributed() async throws {
        let token = "cli-\(UUID().uuidString)"
        let other = "cli-\(UUID().uuidString)"
        let clients = """
            clients:
              - { name: batch-jobs, token_env: SY_BATCH_TOKEN, models: [m], rate: { requests_per_minute: 60 } }
              - { name: notebook, token_env: SY_NOTEBOOK_TOKEN }
            """
        try await APITestDaemon.run(extraYAML: clients, environment: ["SY_BATCH_TOKEN": token, "SY_NOTEBOOK_TOKEN": other]) { daemon in
            let tcp = RawHTTP.Address.tcp(port: daemon.tcpPort)
            let json = ["Content-Type: application/json"]
            let bare = try await RawHTTP.exchange(tcp, "POST", "/v1/reports", headers: json, body: Self.body())
            #expect(bare.status == 401)
            #expect(bare.headers["www-authenticate"] == "Bearer")
            #expect(bare.body.contains(#"{"error":{"code":"token_required","#))
            let wrong = try await RawHTTP.exchange(tcp, "POST", "/v1/reports", headers: json + ["Authorization: Bearer \(token)x"], body: Self.body())
            #expect(wrong.status == 401)
            #expect(wrong.body.contains(#"{"error":{"code":"unknown_token","#))
            let prefix = try await RawHTTP.exchange(tcp, "POST", "/v1/reports", headers: json + ["Authorization: Bearer \(token.dropLast())"], body: Self.body())
            #expect(prefix.status == 401)
            let right = try await RawHTTP.exchange(tcp, "POST", "/v1/reports", headers: json + ["Authorization: Bearer \(token)"], body: Self.body())
            #expect(right.status == 200)
            #expect(right.body.contains(#""caller":"batch-jobs""#))
            #expect(right.body.contains(#""accepted":1"#))
            let second = try await RawHTTP.exchange(tcp, "POST", "/v1/reports", headers: json + ["authorization: bearer \(other)"], body: Self.body())
            #expect(second.body.contains(#""caller":"notebook""#))

            // The Unix socket names its peer by uid, with or without a token.
            let unix = String(decoding: try await daemon.unix.post("/v1/reports", json: Data(Self.body().utf8)), as: UTF8.self)
            #expect(unix.contains(#""caller":"uid:\#(getuid())""#))

            // Read-only routes stay open over TCP.
            #expect(try await RawHTTP.exchange(tcp, "GET", "/v1/route?model=m").status == 200)
            // The tokens appear in no answer and no log line.
            for text in [bare.body, wrong.body, prefix.body, right.body, second.body, unix, daemon.logs.text] {
                #expect(!text.contains(token.dropLast()) && !text.contains(other))
            }
        }
    }

    @Test func anonymousTCPReportsAreAcceptedOnlyWhenTheOperatorSaysSo() async throws {
        try await APITestDaemon.run(listenExtra: ", tcp_without_token: true") { daemon in
            let answer = try await RawHTTP.exchange(.tcp(port: daemon.tcpPort), "POST", "/v1/reports", headers: ["Content-Type: application/json"], body: Self.body())
            #expect(answer.status == 200)
            #expect(answer.body.contains(#""caller":"anonymous""#))
            // A token that is no client's is still refused: it is a mistake, not anonymity.
            let wrong = try await RawHTTP.exchange(.tcp(port: daemon.tcpPort), "POST", "/v1/reports", headers: ["Authorization: Bearer nope"], body: Self.body())
            #expect(wrong.status == 401)
        }
    }
}
