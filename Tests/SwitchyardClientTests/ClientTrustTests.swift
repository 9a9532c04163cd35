import Foundation
import Glibc
@testable import SwitchyardClient
import SwitchyardCore
import Testing

/// What the Swift client puts on the wire, seen by capturing servers: keys only where configured
/// and trusted, report batches a retry cannot apply twice, caller errors raised at once.
// Serialized and time-limited: real sockets on a shared machine.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ClientTrustTests {
    static let together = "sk-togetherNOTREAL0123456789"
    static let openAI = "sk-openaiNOTREAL0123456789"
    static let environment: [String: String] = ["TOGETHER_KEY": together, "OPENAI_API_KEY": openAI, "HF_TOKEN": "hf_envNOTREAL0123"]

    /// A route answer as the daemon writes it.
    static func route(_ candidates: [(provider: String, upstream: String, baseURL: String)]) -> String {
        let items = candidates.map { c in
            #"{"provider":"\#(c.provider)","upstream_model":"\#(c.upstream)","base_url":"\#(c.baseURL)","score":1,"state":"healthy","success_rate":1,"reasons":[]}"#
        }
        return #"{"model":"m","strategy":"balanced","panic":false,"generated_at":"2026-01-01T00:00:00Z","candidates":[\#(items.joined(separator: ","))]}"#
    }

    /// A daemon that answers `route` and takes reports (cutting off the first `cut` answers).
    static func daemon(route: String, cutReports cut: Int = 0) throws -> CapturingServer {
        let cuts = Recorder<Int>()
        return try CapturingServer { seen in
            if seen.path.hasPrefix("/v1/route") { return .json(status: 200, body: route) }
            if seen.path.hasPrefix("/v1/reports") {
                cuts.append(0)
                if cuts.values.count <= cut { return .cutMidAnswer }
                let count = (seen.json["reports"] as? [Any])?.count ?? 0
                return .json(status: 200, body: #"{"accepted":\#(count),"rejected":0}"#)
            }
            return .json(status: 404, body: #"{"error":{"code":"not_found","message":""}}"#)
        }
    }

    /// A provider answering `statuses[model]` (200 by default) to chat completions.
    static func provider(host: String = "127.0.0.1", statuses: [String: Int]) throws -> CapturingServer {
        try CapturingServer(host: host) { seen in
            let model = seen.json["model"] as? String ?? ""
            let status = statuses[model] ?? 200
            return status == 200 ? .json(status: 200, body: #"{"model":"\#(model)","choices":[]}"#)
                : .json(status: status, body: #"{"error":{"code":"http_\#(status)","message":"answered \#(status)"}}"#)
        }
    }

    /// One chat completion with the key the client gives this candidate, over a plain socket.
    static func chat(_ sy: SwitchyardClient, _ candidate: ProviderCandidate) async throws -> String {
        let key = sy.apiKey(for: candidate)
        let status = try await offPool {
            try plainPost(candidate.baseURL + "/chat/completions", headers: key.map { ["Authorization: Bearer \($0)"] } ?? [],
                          body: #"{"model":"\#(candidate.upstreamModel)","messages":[]}"#)
        }
        guard status == 200 else { throw ProviderHTTPError(status: status) }
        return candidate.upstreamModel
    }

    func options(_ configure: (inout ClientOptions) -> Void = { _ in }) -> ClientOptions {
        var options = ClientOptions()
        options.sleep = { _ in }
        options.failureCooldownSeconds = 0
        options.keys = ProviderKeys(perProvider: ["together": "TOGETHER_KEY", "unset": "SY_UNSET_KEY"],
                                    defaultEnvironment: "OPENAI_API_KEY", defaultHosts: ["api.openai.com"],
                                    environment: { Self.environment[$0] })
        configure(&options)
        return options
    }

    @Test func keysGoOnlyWhereConfiguredAndTrusted() async throws {
        let failing = ["forged": 503, "no-key": 503, "unset-key": 503]
        let trusted = try Self.provider(statuses: failing)
        let elsewhere = try Self.provider(host: "127.0.0.2", statuses: failing)
        let daemon = try Self.daemon(route: Self.route([
            ("together", "forged", elsewhere.url + "/v1"),  // a host the client was never told about
            ("local", "no-key", trusted.url + "/v1"),
            ("unset", "unset-key", trusted.url + "/v1"),
            ("together", "together-ok", trusted.url + "/v1"),
        ]))
        defer { [daemon, trusted, elsewhere].forEach { $0.stop() } }
        let sy = SwitchyardClient(endpoint: .url(daemon.url), options: options {
            $0.staticRoutes = ["m": [ProviderCandidate(provider: "together", upstreamModel: "together-ok", baseURL: trusted.url + "/v1")]]
        })
        #expect(try await sy.withFailover(model: "m") { try await Self.chat(sy, $0) } == "together-ok")
        await sy.flushReports()

        func authorization(_ server: CapturingServer, _ model: String) -> [String?] {
            server.requests(to: "/chat/completions").filter { $0.json["model"] as? String == model }.map { $0.headers["authorization"] }
        }
        #expect(authorization(elsewhere, "forged") == [nil])
        #expect(authorization(trusted, "no-key") == [nil])
        #expect(authorization(trusted, "unset-key") == [nil])
        #expect(authorization(trusted, "together-ok") == ["Bearer \(Self.together)"])
        #expect(daemon.requests.allSatisfy { $0.headers["authorization"] == nil })
        #expect(daemon.requests(to: "/v1/reports").count >= 1)
    }

    @Test func keyRulesAndTrustedHosts() {
        let keys = ProviderKeys(perProvider: ["lan": "LAN", "lan2": "LAN"], defaultEnvironment: "DEFAULT",
                                defaultHosts: ["router.huggingface.co", "*.example.org", "127.0.0.1"],
                                environment: { ["DEFAULT": "sk-default", "LAN": "sk-lan"][$0] })
        #expect(keys.key(provider: "hf", baseURL: "https://router.huggingface.co/v1") == "sk-default")
        #expect(keys.key(provider: "hf", baseURL: "https://router.huggingface.co.attacker.net/v1") == nil)
        #expect(keys.key(provider: "x", baseURL: "https://api.example.org/v1") == "sk-default")
        #expect(keys.key(provider: "x", baseURL: "https://example.org.evil/v1") == nil)
        #expect(keys.key(provider: "x", baseURL: "http://api.example.org/v1") == nil)  // its host, but in clear text
        #expect(keys.key(provider: "local", baseURL: "http://127.0.0.1:8000/v1") == "sk-default")
        #expect(keys.key(provider: "other", baseURL: "https://api.openai.com/v1") == nil)
        #expect(keys.key(provider: "lan", baseURL: "http://10.0.0.7:8000/v1") == "sk-lan")
        #expect(keys.key(provider: "lan2", baseURL: "http://10.0.0.8:8000/v1") == "sk-lan")
        #expect(ProviderKeys().key(provider: "any", baseURL: "https://api.openai.com/v1") == nil)

        let at = { ProviderCandidate(provider: "p", upstreamModel: "u", baseURL: $0) }
        let overTCP = SwitchyardClient(endpoint: .url("http://127.0.0.1:9"), options: options {
            $0.trustedHosts = ["*.internal"]
            $0.staticRoutes = ["m": [at("https://api.together.xyz/v1")]]
        })
        #expect(overTCP.trusts(at("https://api.together.xyz/v1")) && overTCP.trusts(at("http://gpu1.internal:8000/v1")))
        #expect(!overTCP.trusts(at("https://attacker.example/v1")) && !overTCP.trusts(at("not a url")))
        let overUnix = SwitchyardClient(endpoint: .unixSocket(absentDaemonSocket()), options: options())
        #expect(overUnix.trusts(at("https://attacker.example/v1")))  // the daemon's own providers
    }

    @Test func aRetriedReportBatchCarriesTheSameID() async throws {
        let daemon = try Self.daemon(route: Self.route([]), cutReports: 1)
        defer { daemon.stop() }
        let sy = SwitchyardClient(endpoint: .url(daemon.url), options: options())
        sy.report(OutcomeReport(provider: "a", model: "m", startedAt: 1_800_000_000, outcome: "server_error", status: 500, totalMs: 5))
        await sy.flushReports()
        sy.report(OutcomeReport(provider: "a", model: "m", startedAt: 1_800_000_001, outcome: "ok", totalMs: 5))
        await sy.flushReports()
        let posts = daemon.requests(to: "/v1/reports").map(\.json)
        #expect(posts.map { ($0["reports"] as? [[String: Any]] ?? []).map { $0["outcome"] as? String ?? "" } } == [["server_error"], ["server_error"], ["ok"]])
        let ids = posts.map { $0["batch_id"] as? String ?? "" }
        #expect(ids.allSatisfy { $0.range(of: "^[A-Za-z0-9_-]{1,64}$", options: .regularExpression) != nil })
        #expect(ids.count == 3 && ids[0] == ids[1] && ids[1] != ids[2])
        #expect(sy.reportStats.failed == 0 && sy.reportStats.sent == 2)
    }

    /// The same cases as the Python client's `test_caller_errors_raise_at_once_and_count_against_no_provider`.
    @Test(arguments: [(400, true), (413, true), (422, true), (500, false), (429, false)])
    func callerErrorsRaiseAtOnceAndCountAgainstNoProvider(status: Int, raisedAtOnce: Bool) async throws {
        let provider = try Self.provider(statuses: ["first": status, "second": status])
        let daemon = try Self.daemon(route: Self.route([("a", "first", provider.url + "/v1"), ("b", "second", provider.url + "/v1")]))
        defer { [daemon, provider].forEach { $0.stop() } }
        let sy = SwitchyardClient(endpoint: .url(daemon.url), options: options())
        do {
            _ = try await sy.withFailover(model: "m") { try await Self.chat(sy, $0) }
            Issue.record("every candidate answered \(status), yet withFailover returned")
        } catch let error as ProviderHTTPError {
            #expect(raisedAtOnce && error.httpStatus == status)
        } catch let error as FailoverError {
            #expect(!raisedAtOnce && error.attempts.count == 2)
        }
        await sy.flushReports()
        let called = provider.requests(to: "/chat/completions").map { $0.json["model"] as? String ?? "" }
        let reported = daemon.requests(to: "/v1/reports").flatMap { ($0.json["reports"] as? [[String: Any]] ?? []).map { $0["provider"] as? String ?? "" } }
        #expect(called == (raisedAtOnce ? ["first"] : ["first", "second"]))
        #expect(reported == (raisedAtOnce ? [] : ["a", "b"]))
    }
}

/// POSTs `body` to an `http://host:port/path` URL over a plain socket; returns the answer's status.
func plainPost(_ url: String, headers: [String], body: String) throws -> Int {
    guard let parts = URLComponents(string: url), let host = parts.host, let port = parts.port else { throw POSIXError(.EINVAL) }
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    inet_pton(AF_INET, host, &address.sin_addr)
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    let request = (["POST \(parts.path) HTTP/1.1", "Host: \(host):\(port)", "Content-Type: application/json",
                    "Content-Length: \(body.utf8.count)", "Connection: close"] + headers).joined(separator: "\r\n") + "\r\n\r\n" + body
    let bytes = Array(request.utf8)
    guard send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else { throw POSIXError(.EPIPE) }
    var answer = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 0 else { break }
        answer += buffer[0..<count]
    }
    let statusLine = String(decoding: answer.prefix { $0 != 13 }, as: UTF8.self).split(separator: " ")
    guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw POSIXError(.EBADMSG) }
    return status
}
