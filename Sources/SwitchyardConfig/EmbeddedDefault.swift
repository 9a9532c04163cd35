/// The configuration served when no config file exists: the usual local inference
/// servers, and the Hugging Face router when `HF_TOKEN` is set. Liveness probes only,
/// so the default never spends money.
public enum EmbeddedDefault {
    public static let source = "<embedded default>"

    public static func yaml(environment: [String: String]) -> String {
        var text = """
        probe:
          mode: liveness
        providers:
          - name: local-ollama
            kind: ollama
            base_url: http://127.0.0.1:11434
            models:
              - { name: llama-3.1-8b, upstream: "llama3.1:8b" }
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
