import SwitchyardConfig
import SwitchyardCore

/// One probe kind: takes a target, returns a result. Implementations live one per file.
public protocol Prober: Sendable {
    func probe(_ target: ProbeTarget, using transport: any HTTPTransport, now: Timestamp) async -> ProbeResult
}

/// The one table that maps a provider kind to its prober.
public enum ProberTable {
    /// `modelLists`: where liveness probes of OpenAI-style APIs share model-list fetches (nil: each fetches).
    public static func prober(for kind: ProviderKind, modelLists: ModelListReader? = nil) -> any Prober {
        switch kind {
        case .openai, .hfRouter: OpenAIProbe(modelLists: modelLists)
        case .vllm, .tgi: ServerHealthProbe()
        case .ollama: OllamaProbe()
        case .http: HTTPGetProbe()
        }
    }
}
