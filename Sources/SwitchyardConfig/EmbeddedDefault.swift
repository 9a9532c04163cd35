import Foundation

/// The configuration served when no config file exists: the usual local inference
/// servers, and the Hugging Face router when `HF_TOKEN` is set. Liveness probes only,
/// so the default never spends money. Ollama's models are discovered from its `/api/tags`
/// (at `OLLAMA_HOST`, as Ollama itself reads it, else 127.0.0.1:11434), so every model it
/// serves is routed; `llama3.1:8b` meets the other servers' Llama 3.1 8B as `llama-3.1-8b`.
public enum EmbeddedDefault {
    public static let source = "<embedded default>"

    /// Ollama's address: `OLLAMA_HOST` (`host:port`, `:port` or a URL), else 127.0.0.1:11434.
    static func ollamaURL(environment: [String: String]) -> String {
        let fallback = "http://127.0.0.1:11434"
        guard let raw = environment["OLLAMA_HOST"]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return fallback }
        var text = raw.contains("://") ? raw : "http://" + raw
        if text.hasSuffix("/") { text.removeLast() }
        guard var parts = URLComponents(string: text), ["http", "https"].contains(parts.scheme ?? ""), parts.path.isEmpty,
              parts.query == nil, parts.user == nil, parts.password == nil else { return fallback }
        if (parts.host ?? "").isEmpty { parts.host = "127.0.0.1" }
        if parts.port == nil { parts.port = 11434 }
        return parts.string ?? fallback
    }

    public static func yaml(environment: [String: String]) -> String {
        var text = """
        probe:
          mode: liveness
        aliases:
          llama-3.1-8b: ["llama3.1:8b", meta-llama/Llama-3.1-8B-Instruct]
        providers:
          - name: local-ollama
            kind: ollama
            base_url: \(ollamaURL(environment: environment))
            discover: {}
          - name: local-vllm
            kind: vllm
            base_url: http://127.0.0.1:8000/v1
            models:
              - { name: llama-3.1-8b, upstream: meta-llama/Llama-3.1-8B-Instruct }
          - name: local-tgi
            kind: tgi
            base_url: http://127.0.0.1:8080/v1
            models:
              - { name: llama-3.1-8b, upstream: tgi }

        """
        if let token = environment["HF_TOKEN"], !token.isEmpty {
            text += """
              - name: hf-router
                kind: hf-router
                base_url: https://router.huggingface.co/v1
                api_key_env: HF_TOKEN
                models:
                  - { name: llama-3.1-8b, upstream: meta-llama/Llama-3.1-8B-Instruct }

            """
        }
        return text
    }

    public static func configuration(environment: [String: String]) throws -> Configuration {
        try ConfigLoader.parse(yaml: yaml(environment: environment), file: source)
    }
}
