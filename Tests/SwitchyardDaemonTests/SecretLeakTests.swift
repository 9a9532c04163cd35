import Foundation
import Logging
import Synchronization
import SwitchyardClient
import SwitchyardConfig
import SwitchyardCore
import SwitchyardDaemon
import SwitchyardSimulator
import SwitchyardSystemd
import Testing

/// The secret grep: provider keys of every shape (`hf_…`, `sk-…`, 40 random characters) and an
/// admin token, driven through failures (401s, timeouts, a refused reload, bad admin calls), must
/// appear in no byte the daemon or either client emits: logs and journal fields, API answers and
/// errors, metrics, events, the SQLite files (WAL included), `check-config` and CLI output, the
/// Swift client's logs and errors, the Python client's output and exceptions.
@Suite(.serialized, .timeLimit(.minutes(3))) struct SecretLeakTests {
    private static func random(_ count: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<count).map { _ in alphabet.randomElement()! })
    }

    @Test func noSecretOfAnyShapeLeavesTheDaemonOrItsClients() async throws {
        let secrets = [
            "SY_HF_KEY": "hf_" + Self.random(34),
            "SY_SK_KEY": "sk-" + Self.random(48),
            "SY_RAW_KEY": Self.random(40),
            "SY_ADMIN_TOKEN": Self.random(40),
            "SY_CATALOG_KEY": "hf_" + Self.random(34),
        ]
        // A discovering router provider reads its catalog from `ok` with its own key; another one's is refused by `unauth`.
        let catalogServer = ProviderSimulator(name: "ok", behavior: SimulatorBehavior(models: ["m-up"], latencyMs: 2))
        catalogServer.setCatalog(SimulatorCatalog(models: [.init(id: "org/m", offers: [.init(provider: "together"), .init(provider: "groq")])]))
        let fleet = SimulatorFleet([
            ProviderSimulator(name: "unauth", behavior: SimulatorBehavior(models: ["m-up"], latencyMs: 2, fault: .unauthorized)),
            ProviderSimulator(name: "hang", behavior: SimulatorBehavior(models: ["m-up"], latencyMs: 2, fault: .hang)),
            catalogServer,
        ])
        let logs = LogCapture()
        let journal = LogCapture()
        let emitted = Emitted()

        try await withTemporaryDirectory { directory in
            try await fleet.withRunning { ports in
                let path = directory + "/switchyard.yaml"
                let good = """
                    listen: { tcp: "127.0.0.1:0", unix: "\(directory)/switchyard.sock" }
                    admin: { token_env: SY_ADMIN_TOKEN }
                    probe: { interval: 200ms, timeout: 1s, connect_timeout: 500ms, mode: completion }
                    providers:
                      - { name: unauth, kind: openai, base_url: "http://127.0.0.1:\(ports["unauth"]!)/v1", api_key_env: SY_HF_KEY,
                          models: [{ name: m, upstream: m-up }] }
                      - { name: hang, kind: openai, base_url: "http://127.0.0.1:\(ports["hang"]!)/v1", api_key_env: SY_SK_KEY,
                          models: [{ name: m, upstream: m-up }] }
                      - { name: ok, kind: openai, base_url: "http://127.0.0.1:\(ports["ok"]!)/v1", api_key_env: SY_RAW_KEY,
                          models: [{ name: m, upstream: m-up }] }
                      - { name: catalog, kind: hf-router, base_url: "http://127.0.0.1:\(ports["ok"]!)/v1", api_key_env: SY_CATALOG_KEY,
                          discover: { max_targets: 1 } }
                      - { name: refused-catalog, kind: hf-router, base_url: "http://127.0.0.1:\(ports["unauth"]!)/v1", api_key_env: SY_HF_KEY,
                          discover: {} }
                    """
                try good.write(toFile: path, atomically: true, encoding: .utf8)
                let environment = ProcessInfo.processInfo.environment.merging(secrets) { $1 }
                let tcpPort = Rendezvous<Int>()
                let logger = Logger(label: "switchyard") { label in
                    MultiplexLogHandler([logs.logger(label: label).handler, journalFieldsCapture(journal, label: label)])
                }
                let daemon = try buildServiceGroup(config: try ConfigLoader.load(path: path), options: DaemonOptions(
                    stateDirOverride: directory, environment: environment,
                    listenerEvents: .init(tcpBound: { tcpPort.set($0) }), shutdownSignals: [], logger: logger,
                    reloadConfiguration: { try ConfigLoader.load(path: path) }, reloadOnHangup: false
                ))
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await daemon.run() }
                    let port = await tcpPort.value()
                    let unix = DaemonConnection(endpoint: .unixSocket(directory + "/switchyard.sock"))
                    let tcp = RawHTTP.Address.tcp(port: port)

                    // Every key was sent and failed its way: 401 (auth), no answer (timeout), and one healthy.
                    let failed = try await eventually(within: 30) {
                        let providers = String(decoding: try await unix.get("/v1/providers"), as: UTF8.self)
                        return providers.contains(#""last_error":"auth""#) && providers.contains(#""last_error":"timeout""#)
                    }
                    #expect(failed, "the simulators never produced a 401 and a timeout")
                    // Discovery read one catalog (and cut it to one target) and was refused the other.
                    let discovered = try await eventually(within: 30) {
                        let events = String(decoding: try await unix.get("/v1/events"), as: UTF8.self)
                        return events.contains(#""kind":"discovery_cut""#) && events.contains(#""kind":"discovery_failed""#)
                            && daemon.healthBook.snapshots().contains { $0.descriptor.target.provider.rawValue == "together" }
                    }
                    #expect(discovered, "discovery never read the one catalog and failed the other")
                    // Each catalog read carried its own provider's key, and only there.
                    #expect(catalogServer.recordedListReads.allSatisfy { $0.header("Authorization") == "Bearer \(secrets["SY_CATALOG_KEY"]!)" })
                    #expect(!catalogServer.recordedListReads.isEmpty)
                    let catalogKey = "Bearer \(secrets["SY_CATALOG_KEY"]!)"
                    for request in catalogServer.recordedRequests where request.header("Authorization") == catalogKey {
                        #expect(String(decoding: request.body, as: UTF8.self).contains("m:together"), "the catalog key went to another target")
                    }
                    for other in fleet.simulators where other.name != "ok" {
                        #expect(!(other.recordedRequests + other.recordedListReads).contains { $0.header("Authorization") == catalogKey })
                    }
                    #expect(fleet.simulators[0].recordedListReads.allSatisfy { $0.header("Authorization") == "Bearer \(secrets["SY_HF_KEY"]!)" })

                    // API answers, good and bad, over both listeners.
                    for target in ["/", "/healthz", "/readyz", "/v1/route?model=m", "/v1/providers", "/v1/providers/unauth",
                                   "/v1/history", "/v1/events", "/metrics", "/openapi.json",
                                   "/v1/route?model=nope", "/v1/route?model=m&strategy=\(secrets["SY_HF_KEY"]!.prefix(8))", "/v1/nowhere"] {
                        emitted.add((target, try await RawHTTP.exchange(tcp, "GET", target).body))
                        emitted.add((target, try await RawHTTP.exchange(.unix(path: directory + "/switchyard.sock"), "GET", target).body))
                    }
                    // Admin over TCP: no token, a wrong one that starts with the right one, the right one.
                    let admin = secrets["SY_ADMIN_TOKEN"]!
                    for header in [[], ["Authorization: Bearer \(admin)x"], ["Authorization: Bearer \(admin.dropLast())"], ["Authorization: Bearer \(admin)"]] {
                        let answer = try await RawHTTP.exchange(tcp, "POST", "/v1/admin/providers/ok/drain", headers: header)
                        emitted.add(("drain \(header.count)", "\(answer.headers) \(answer.body)"))
                    }
                    emitted.add(("undrain", try await RawHTTP.exchange(tcp, "POST", "/v1/admin/providers/ok/undrain",
                                                                         headers: ["Authorization: Bearer \(admin)"]).body))
                    // Reloads: a good file, then bad ones (unknown key, missing variable, broken YAML, a key pasted
                    // where its variable's name belongs) that are refused.
                    emitted.add(("reload", try await RawHTTP.exchange(tcp, "POST", "/v1/admin/reload", headers: ["Authorization: Bearer \(admin)"]).body))
                    for bad in [good.replacingOccurrences(of: "mode: completion", with: "mode: completion, api_key: x"),
                                good.replacingOccurrences(of: "api_key_env: SY_SK_KEY", with: "api_key_env: SY_NOT_SET"),
                                good.replacingOccurrences(of: "api_key_env: SY_SK_KEY", with: "api_key_env: \(secrets["SY_HF_KEY"]!)"),
                                good.replacingOccurrences(of: "models: [{ name: m, upstream: m-up }] }", with: "models: [{ name: m, upstream: m-up }")] {
                        try bad.write(toFile: path, atomically: true, encoding: .utf8)
                        let answer = try await RawHTTP.exchange(tcp, "POST", "/v1/admin/reload", headers: ["Authorization: Bearer \(admin)"])
                        #expect(answer.status != 200, "a bad file was accepted: \(answer.body)")
                        emitted.add(("bad reload", answer.body))
                        emitted.add(("readyz after bad reload", try await RawHTTP.exchange(tcp, "GET", "/readyz").body))
                        emitted.add(("events after bad reload", try await RawHTTP.exchange(tcp, "GET", "/v1/events").body))
                        let check = try await offPool { try runProgram(buildDirectory + "/switchyard", ["check-config", "--config", path], environment: environment) }
                        emitted.add(("check-config (bad)", check.output))
                    }
                    try good.write(toFile: path, atomically: true, encoding: .utf8)
                    let check = try await offPool { try runProgram(buildDirectory + "/switchyard", ["check-config", "--config", path], environment: environment) }
                    #expect(check.status == 0, "\(check.output)")
                    emitted.add(("check-config", check.output))

                    // The CLI, over TCP with the token in its environment.
                    let cliEnvironment = environment.merging(["SWITCHYARD_TOKEN": admin]) { $1 }
                    for arguments in [["route", "m"], ["providers"], ["status"], ["events"], ["drain", "ok"], ["undrain", "ok"], ["reload"], ["drain", "nobody"]] {
                        let result = try await offPool {
                            try runProgram(buildDirectory + "/switchyard", arguments + ["--url", "http://127.0.0.1:\(port)"], environment: cliEnvironment)
                        }
                        emitted.add(("cli \(arguments)", result.output))
                    }

                    // The Swift client: over TCP with the admin token, a failover whose attempts all fail.
                    var options = ClientOptions()
                    options.logger = logs.logger(label: "switchyard.client")
                    options.backoffBaseSeconds = 0.001
                    let client = SwitchyardClient(endpoint: .url("http://127.0.0.1:\(port)"), token: admin, options: options)
                    emitted.add(("swift route", "\(try await client.route(model: "m"))"))
                    do {
                        _ = try await client.withFailover(model: "m") { candidate -> Int in
                            throw ProviderHTTPError(status: 401, message: "refused by \(candidate.provider)")
                        }
                    } catch {
                        emitted.add(("swift failover error", "\(error) \(String(reflecting: error))"))
                    }
                    await client.flushReports()
                    do { _ = try await client.route(model: "nope") } catch { emitted.add(("swift route error", "\(error)")) }

                    // The Python client: both its own logs and what its failover raises.
                    emitted.add(("python client", try await Self.runPythonClient(url: "http://127.0.0.1:\(port)", environment: environment)))

                    await daemon.serviceGroup.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                }

                emitted.add(("logs", logs.text))
                emitted.add(("journal fields", journal.text))
                #expect(logs.text.contains("auth") && !journal.text.isEmpty)
                for file in try FileManager.default.contentsOfDirectory(atPath: directory) where file.hasPrefix("switchyard.db") {
                    let bytes = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + file))
                    emitted.add((file, String(decoding: bytes, as: UTF8.self)))
                    for secret in secrets.values { #expect(bytes.range(of: Data(secret.utf8)) == nil, "a secret is in \(file)") }
                }
            }
        }

        let everything = emitted.all
        #expect(everything.count > 60)
        for (what, bytes) in everything {
            for (name, secret) in secrets {
                #expect(!bytes.contains(secret), "\(name) leaked into \(what)")
                #expect(!bytes.contains(secret.suffix(20)), "half of \(name) leaked into \(what)")
            }
        }
    }

    /// Runs the Python client against the daemon: a failover call through the OpenAI integration
    /// and one per failing provider, with the client's own logger at DEBUG. Skipped without the test venv.
    private static func runPythonClient(url: String, environment: [String: String]) async throws -> String {
        guard let pyenv = environment["SWITCHYARD_PYENV"], FileManager.default.isExecutableFile(atPath: pyenv + "/bin/python") else {
            Issue.record("the Python test venv is missing: run `make pyenv` (and export SWITCHYARD_PYENV=$PWD/.build/pyenv)")
            return ""
        }
        let script = """
            import logging, sys
            logging.basicConfig(level=logging.DEBUG, stream=sys.stdout)
            for name in ("openai", "httpx", "httpcore", "urllib3"):
                logging.getLogger(name).setLevel(logging.WARNING)
            from switchyard_client import Switchyard
            from switchyard_client.openai import FailoverOpenAI
            sy = Switchyard(url="\(url)", attempt_timeout=2.0, report_interval=0.05)
            fo = FailoverOpenAI(sy, key_env="SY_RAW_KEY", key_envs={"unauth": "SY_HF_KEY", "hang": "SY_SK_KEY", "ok": "SY_RAW_KEY"}, timeout=2.0)
            messages = [{"role": "user", "content": "hi"}]
            try:
                print("answer:", fo.chat_completion(model="m", messages=messages))
            except Exception as error:
                print("error:", repr(error), error)
            for failing in ("unauth", "hang"):
                def attempt(candidate, failing=failing):
                    if candidate.provider != failing:
                        raise ConnectionError("not tried: " + candidate.provider)
                    return fo.client_for(candidate).chat.completions.create(model=candidate.upstream_model, messages=messages)
                try:
                    sy.call_with_failover("m", attempt)
                except Exception as error:
                    print("error:", repr(error), error)
            sy.flush()
            sy.close()
            """
        let result = try await offPool { try runProgram(pyenv + "/bin/python", ["-c", script], environment: environment) }
        #expect(result.output.contains("error:"), "\(result.output)")
        return result.output
    }
}

/// Everything emitted, as (what, text).
private final class Emitted: Sendable {
    private let items = Mutex<[(what: String, bytes: String)]>([])
    func add(_ item: (String, String)) { items.withLock { $0.append(item) } }
    var all: [(what: String, bytes: String)] { items.withLock { $0 } }
}

/// What journald would receive: each event rendered to its journal fields, as the daemon's handler sends them.
private func journalFieldsCapture(_ capture: LogCapture, label: String) -> EventLogHandler {
    let logger = capture.logger(label: label)
    return EventLogHandler { event, metadata in
        logger.info("\(JournaldLogHandler.fields(for: event, handlerMetadata: metadata, label: label).joined(separator: "\n"))")
    }
}
