import SwitchyardConfig
import SwitchyardCore

/// One probe kind: takes a target, returns a result. Implementations live one per file.
public protocol Prober: Sendable {
    func probe(_ target: ProbeTarget, using transport: any HTTPTransport, now: Timestamp) async -> ProbeResult
}

/// The one table that maps a provider kind to its prober.
public enum ProberTable {
    /// `modelLists`: where liveness probes of OpenAI-style APIs share model-list fetches (nil: each fetches).
    /// A target of another task than chat checks liveness as its kind does, and completes with its task's
    /// own request (`TaskProbe`); the `http` kind only ever GETs.
    public static func prober(for kind: ProviderKind, task: InferenceTask = .chat, modelLists: ModelListReader? = nil) -> any Prober {
        if !task.generatesText, kind != .http { return TaskProbe(liveness: prober(for: kind, modelLists: modelLists)) }
        return switch kind {
        case .openai, .hfRouter: OpenAIProbe(modelLists: modelLists)
        case .vllm, .tgi: ServerHealthProbe()
        case .ollama: OllamaProbe()
        case .http: HTTPGetProbe()
        }
    }
}
