import SwitchyardConfig
import SwitchyardCore
import SwitchyardProbe
import SwitchyardServer

/// Builds the gateway's view of the configuration: each target's OpenAI base, resolved key
/// (the same `Secret` its probes use) and timeouts.
enum GatewayWiring {
    static func configuration(_ config: Configuration, targets: [ProbeTarget]) -> GatewayConfiguration {
        var upstreams: [Target: GatewayUpstream] = [:]
        for target in targets {
            upstreams[target.target] = GatewayUpstream(
                baseURL: openAIBase(kind: target.kind, baseURL: target.baseURL), apiKey: target.apiKey,
                connectTimeoutSeconds: target.settings.connectTimeoutSeconds,
                attemptTimeoutSeconds: target.settings.attemptTimeoutSeconds, price: target.price,
                hedge: target.settings.hedge
            )
        }
        var allowed: [String: Set<ModelName>] = [:]
        var limits: [String: ClientLimits] = [:]
        for client in config.clients {
            if let models = client.models { allowed[client.name] = Set(models) }
            let clientLimits = ClientLimits(requestsPerMinute: client.requestsPerMinute, usdPerDay: client.usdPerDay)
            if !clientLimits.isUnlimited { limits[client.name] = clientLimits }
        }
        return GatewayConfiguration(settings: config.gateway, descriptors: config.targetDescriptors, upstreams: upstreams,
                                    allowedModels: allowed, clientLimits: limits)
    }

    /// The OpenAI-compatible base (`…/v1`) of a provider: as configured for openai and hf-router;
    /// TGI, vLLM and Ollama serve it under `/v1` of their root.
    static func openAIBase(kind: ProviderKind, baseURL: String) -> String {
        switch kind {
        case .tgi, .vllm, .ollama: baseURL.hasSuffix("/v1") ? baseURL : baseURL + "/v1"
        default: baseURL
        }
    }
}
