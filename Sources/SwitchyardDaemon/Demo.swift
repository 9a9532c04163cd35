import SwitchyardConfig
import SwitchyardCore
import SwitchyardSimulator

/// `switchyard demo`: three simulated chat providers of different speed and price, one of
/// them failing on and off, so probing, ejection, failover and recovery show in a minute; and
/// an image model on two more, the faster of which fails now and then.
public enum Demo {
    public static let models = ["llama-3.1-8b", "qwen-2.5-7b"]
    /// The text-to-image model, served by `sim-pixel` and `sim-easel`.
    public static let imageModel = "flux-schnell"
    /// The providers of the image model.
    static let imageProviders: Set<String> = ["sim-pixel", "sim-easel"]

    /// The simulated providers. `sim-flaky` is the fastest but fails 30 s of every 90 s.
    public static func simulators() -> [ProviderSimulator] {
        [
            ProviderSimulator(name: "sim-flaky", behavior: SimulatorBehavior(
                models: models, latencyMs: 25, jitterMs: 10, outagePeriodSeconds: 90, outageSeconds: 30), seed: 1),
            ProviderSimulator(name: "sim-fast", behavior: SimulatorBehavior(
                models: models, latencyMs: 60, jitterMs: 20), seed: 2),
            ProviderSimulator(name: "sim-cheap", behavior: SimulatorBehavior(
                models: [models[0]], latencyMs: 180, jitterMs: 60, errorRate: 0.02), seed: 3),
            // Images: seconds, not milliseconds. sim-pixel is the faster and fails one request in four.
            ProviderSimulator(name: "sim-pixel", behavior: SimulatorBehavior(
                models: [imageModel], latencyMs: 600, jitterMs: 300, errorRate: 0.25), seed: 4),
            ProviderSimulator(name: "sim-easel", behavior: SimulatorBehavior(
                models: [imageModel], latencyMs: 1_500, jitterMs: 400), seed: 5),
        ]
    }

    /// The daemon configuration pointing at the running simulators.
    public static func configuration(ports: [String: Int], tcp: HostPort?, unixSocket: String, stateDir: String) -> Configuration {
        var probe = ProbeSettings()
        probe.intervalSeconds = 2
        probe.timeoutSeconds = 5
        probe.connectTimeoutSeconds = 1
        let prices: [String: Price] = [
            "sim-flaky": Price(inputPerMTok: 0.20, outputPerMTok: 0.60),
            "sim-fast": Price(inputPerMTok: 0.90, outputPerMTok: 0.90),
            "sim-cheap": Price(inputPerMTok: 0.05, outputPerMTok: 0.10),
            "sim-pixel": Price(perImage: 0.003),
            "sim-easel": Price(perImage: 0.0025),
        ]
        // Image targets probe by completion (a real PNG checked whole) every 5 s: simulated money.
        var imageProbe = probe
        imageProbe.intervalSeconds = 5
        imageProbe.timeoutSeconds = 10
        imageProbe.mode = .completion
        let providers = simulators().map { simulator in
            let images = imageProviders.contains(simulator.name)
            return ProviderSettings(
                name: ProviderID(simulator.name), kind: .openai,
                baseURL: "http://127.0.0.1:\(ports[simulator.name] ?? 0)/v1",
                price: prices[simulator.name], probe: images ? imageProbe : probe,
                models: simulator.currentBehavior.models.map {
                    ModelSettings(name: ModelName($0), upstream: $0, probe: images ? imageProbe : probe, task: images ? .textToImage : .chat)
                }
            )
        }
        // Loopback only, no secrets to protect: the printed curl lines work as pasted, with no token to set up.
        var listen = ListenSettings(tcp: tcp, unix: .path(unixSocket))
        listen.tcpWithoutToken = true
        return Configuration(
            listen: listen, stateDir: stateDir,
            probe: probe, providers: providers, source: "<demo>"
        )
    }

    /// A chat completion to paste into curl.
    static let chatBody = #"{"model":"llama-3.1-8b","messages":[{"role":"user","content":"hi"}]}"#

    /// What the demo prints once it serves: where to look and what to type.
    public static func summary(tcp: HostPort?, unixSocket: String, stateDir: String) -> String {
        let base = tcp.map { "http://\($0)" }
        var lines = [
            "switchyard demo: 5 simulated providers on loopback.",
            "Chat (\(models.joined(separator: ", "))), probed every 2 s:",
            "  sim-flaky  fastest, fails 30 s of every 90 s (watch it get ejected and come back)",
            "  sim-fast   steady, dearer",
            "  sim-cheap  slow, cheapest, 2% errors",
            "Text-to-image (\(imageModel)), a real PNG asked for and checked every 5 s:",
            "  sim-pixel  faster (about 0.6-0.9 s an image), fails one request in four",
            "  sim-easel  slower (about 1.5-1.9 s an image), steady, cheaper per image",
            "",
            "State:       \(stateDir)/switchyard.db",
            "Unix socket: \(unixSocket)",
        ]
        if let base { lines.append("TCP:         \(base)") }
        lines += [
            "",
            "Try:",
            "  curl --unix-socket \(unixSocket) 'http://localhost/v1/route?model=llama-3.1-8b'",
            "  curl --unix-socket \(unixSocket) 'http://localhost/v1/route?model=\(imageModel)&task=text-to-image'",
            "  SWITCHYARD_SOCKET=\(unixSocket) switchyard route llama-3.1-8b",
            "  SWITCHYARD_SOCKET=\(unixSocket) switchyard providers",
            "  curl --unix-socket \(unixSocket) http://localhost/v1/chat/completions -i \\",
            "       -H 'Content-Type: application/json' -d '\(chatBody)'",
        ]
        if let base {
            lines += [
                "  curl '\(base)/v1/route?model=qwen-2.5-7b&strategy=cheapest'",
                "  curl \(base)/metrics",
                "  curl -i \(base)/v1/chat/completions -H 'Content-Type: application/json' -d '\(chatBody)'",
                "  (or any OpenAI SDK with base_url=\(base)/v1 and any api_key: the demo's TCP listener needs no token)",
            ]
        }
        lines.append("Ctrl-C stops the demo.")
        if tcp != nil { lines += ["", "Below, one call through the gateway every 2 s: watch it fail over while sim-flaky is down."] }
        return lines.joined(separator: "\n")
    }
}
