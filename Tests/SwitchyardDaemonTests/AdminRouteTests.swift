import Foundation
import SwitchyardClient
import SwitchyardCore
import SwitchyardStore
import Testing

/// Admin routes: the Unix socket admits its peers (recorded by uid), TCP only the bearer of
/// the configured token; every action lands in the events log; the token leaks nowhere.
@Suite(.serialized, .timeLimit(.minutes(10))) struct AdminRouteTests {
    @Test func drainOverTheSocketAndWithTheTokenOverTCPAreRecordedWithTheirCaller() async throws {
        let token = "adm-secret-\(UUID().uuidString)"
        try await APITestDaemon.run(listenExtra: ", unix_group: daemon", extraYAML: "admin: { token_env: SY_ADMIN_TOKEN }",
                                    environment: ["SY_ADMIN_TOKEN": token]) { daemon in
            var responses: [String] = []
            // The socket file: mode 0660, group from listen.unix_group.
            var info = stat()
            #expect(stat(daemon.socketPath, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o660)
            #expect(info.st_gid == getgrnam("daemon")!.pointee.gr_gid)

            let healthy = try await eventually(within: 20) {
                try await SwitchyardClient(endpoint: daemon.unix.endpoint).route(model: "m").candidates.count == 2
            }
            #expect(healthy)

            // Unix socket: allowed, caller is the peer's uid.
            let drained = String(decoding: try await daemon.unix.post("/v1/admin/providers/a/drain"), as: UTF8.self)
            responses.append(drained)
            #expect(drained.contains(#""caller":"uid:\#(getuid())""#))
            #expect(drained.contains(#""to":"draining""#))
            let route = try await SwitchyardClient(endpoint: daemon.unix.endpoint).route(model: "m")
            #expect(route.candidates.first?.provider == "b")
            #expect(route.candidates.first { $0.provider == "a" }?.state ?? .draining == .draining)
            let events = String(decoding: try await daemon.unix.get("/v1/events"), as: UTF8.self)
            responses.append(events)
            #expect(events.contains("drained by uid:\(getuid())"))

            // TCP: no header 401, wrong token 403, right token 200 with caller `token`.
            let tcp = RawHTTP.Address.tcp(port: daemon.tcpPort)
            let bare = try await RawHTTP.exchange(tcp, "POST", "/v1/admin/providers/a/undrain")
            #expect(bare.status == 401)
            #expect(bare.headers["www-authenticate"] == "Bearer")
            let wrong = try await RawHTTP.exchange(tcp, "POST", "/v1/admin/providers/a/undrain", headers: ["Authorization: Bearer \(token)x"])
            #expect(wrong.status == 403)
            #expect(wrong.body.contains(#""code":"admin_forbidden""#))
            let prefix = try await RawHTTP.exchange(tcp, "POST", "/v1/admin/reload", headers: ["Authorization: Bearer \(token.dropLast())"])
            #expect(prefix.status == 403)
            let right = try await RawHTTP.exchange(tcp, "POST", "/v1/admin/providers/a/undrain", headers: ["Authorization: Bearer \(token)"])
            #expect(right.status == 200)
            #expect(right.body.contains(#""caller":"token""#))
            let unknown = try await RawHTTP.exchange(tcp, "POST", "/v1/admin/providers/zzz/drain", headers: ["Authorization: Bearer \(token)"])
            #expect(unknown.status == 404)
            #expect(unknown.body.contains("configured: a, b"))
            // This daemon has no config file to reload: 409 with the reason, caller still checked first.
            let reload = try await RawHTTP.exchange(.unix(path: daemon.socketPath), "POST", "/v1/admin/reload")
            #expect(reload.status == 409)
            #expect(reload.body.contains(#""code":"reload_refused""#))
            responses += [bare.body, wrong.body, prefix.body, right.body, unknown.body, reload.body]

            let afterTCP = String(decoding: try await daemon.unix.get("/v1/events"), as: UTF8.self)
            responses.append(afterTCP)
            #expect(afterTCP.contains("undrained by token"))
            _ = await daemon.daemon.writer.waitUntilStored()
            let stored = try daemon.daemon.store.events(since: nil, limit: 100).map(\.reason)
            #expect(stored.contains("drained by uid:\(getuid())"))
            #expect(stored.contains("undrained by token"))

            // The token is nowhere: answers, logs, database files.
            for response in responses { #expect(!response.contains(token)) }
            #expect(!daemon.logs.text.contains(token))
            for file in try FileManager.default.contentsOfDirectory(atPath: daemon.directory) where file.hasPrefix("switchyard.db") {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: daemon.directory + "/" + file))
                #expect(bytes.range(of: Data(token.utf8)) == nil, "token found in \(file)")
            }
        }
    }
}
