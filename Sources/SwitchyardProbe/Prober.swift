import SwitchyardConfig
import SwitchyardCore

/// One probe kind: takes a target, returns a result. Implementations live one per file.
public protocol Prober: Sendable {
    func probe(_ target: ProbeTarget, using transport: any HTTPTransport, now: Timestamp) async -> ProbeResult
}

/// The one table that maps a provider kind to its prober.
public enum ProberTable {
    public static func prober(for kind: ProviderKind) -> any Prober {
        switch kind {
        case .openai, .hfRouter: OpenAIProbe()
        case .vllm, .tgi: ServerHealthProbe()
        case .ollama: OllamaProbe()
        case .http: HTTPGetProbe()
        }
    }
}
