import SwitchyardConfig
import SwitchyardCore
import Testing

/// `task:` on a provider and a model, the per-task probe defaults, and prices per image and per
/// second of audio: decoded, rendered by `check-config`, read back, and pinned when wrong.
struct TaskConfigTests {
    static let yaml = """
        providers:
          - name: fast
            kind: openai
            base_url: https://fast.example.com/v1
            price: { per_image: 0.004 }
            task: text-to-image
            models:
              - name: flux
              - name: llama
                task: chat
          - name: text
            kind: openai
            base_url: https://text.example.com/v1
            price: { per_audio_second: 0.0001, input_per_mtok: 0.1 }
            models:
              - name: flux
              - name: whisper
                task: speech-to-text
              - name: bge
                task: embeddings
                probe: { timeout: 20s }
        """

    @Test func theModelsTaskOverridesTheProvidersAndChatIsTheDefault() throws {
        let config = try ConfigLoader.parse(yaml: Self.yaml, file: "t.yaml")
        #expect(config.providers.map(\.task) == [.textToImage, .chat])
        let tasks = config.targetDescriptors.map { "\($0.target.provider)/\($0.target.model)=\($0.task.rawValue)" }
        #expect(tasks == ["fast/flux=text-to-image", "fast/llama=chat", "text/flux=chat", "text/whisper=speech-to-text", "text/bge=embeddings"])
    }

    @Test func aModelNameMayHaveTargetsOfSeveralTasks() throws {
        let config = try ConfigLoader.parse(yaml: Self.yaml, file: "t.yaml")
        let flux = config.targetDescriptors.filter { $0.target.model == ModelName("flux") }
        #expect(flux.map(\.task) == [.textToImage, .chat])
    }

    @Test func aTasksDefaultsFillWhatTheConfigDoesNotWrite() throws {
        let config = try ConfigLoader.parse(yaml: Self.yaml, file: "t.yaml")
        let image = config.providers[0].models[0].probe
        #expect(image.intervalSeconds == 60 && image.timeoutSeconds == 60 && image.mode == .liveness && image.attemptTimeoutSeconds == 60)
        #expect(image.provenance.fromTask == [.interval, .timeout, .mode, .attemptTimeout])
        let chat = config.providers[0].models[1].probe
        #expect(chat == ProbeSettings(), "chat keeps the plain defaults: \(chat)")
        #expect(chat.provenance.fromTask.isEmpty)
        let embeddings = config.providers[1].models[2].probe
        #expect(embeddings.timeoutSeconds == 20, "written: kept")
        #expect(embeddings.attemptTimeoutSeconds == 10, "a 45 s embeddings request is cut by the task's 10 s")
        #expect(embeddings.provenance.fromTask == [.attemptTimeout])
        let speech = config.providers[1].models[1].probe
        #expect(speech.mode == .completion && speech.attemptTimeoutSeconds == 60 && speech.intervalSeconds == 60)
    }

    @Test func explicitSettingsAtAnyLevelWin() throws {
        let config = try ConfigLoader.parse(yaml: """
            probe: { interval: 20s }
            providers:
              - name: p
                kind: openai
                base_url: https://p.example.com/v1
                task: text-to-video
                probe: { attempt_timeout: 120s }
                models:
                  - name: v
                    probe: { mode: completion }
            """, file: "e.yaml")
        let probe = config.providers[0].models[0].probe
        #expect(probe.intervalSeconds == 20)
        #expect(probe.attemptTimeoutSeconds == 120)
        #expect(probe.mode == .completion)
        #expect(probe.timeoutSeconds == 300)
        #expect(probe.provenance.fromTask == [.timeout])
    }

    @Test func checkConfigPrintsTheTasksPricesAndWhichDefaultsAppliedAndReadsThemBack() throws {
        let config = try ConfigLoader.parse(yaml: Self.yaml, file: "t.yaml")
        let rendered = ConfigRenderer.render(config)
        #expect(rendered.contains("    price: { per_image: 0.004 }\n    task: text-to-image\n"), "\(rendered)")
        #expect(rendered.contains("    price: { input_per_mtok: 0.1, per_audio_second: 0.0001 }\n"), "\(rendered)")
        #expect(rendered.contains("      - name: \"llama\"\n        upstream: \"llama\"\n        task: chat\n"), "\(rendered)")
        #expect(rendered.contains("        task: speech-to-text\n        probe:\n          # from the speech-to-text defaults: attempt_timeout, interval, timeout\n"), "\(rendered)")
        var again = try ConfigLoader.parse(yaml: rendered, file: "t.yaml")
        again.source = config.source
        #expect(again == config)
        #expect(again.targetDescriptors == config.targetDescriptors)
    }

    @Test func aPricePerImageAndPerAudioSecondCost() throws {
        let config = try ConfigLoader.parse(yaml: Self.yaml, file: "t.yaml")
        #expect(config.providers[0].price == Price(perImage: 0.004))
        #expect(config.providers[1].price?.cost(tokensIn: 0, tokensOut: 0, seconds: 1, audioSeconds: 30) == 0.003)
    }

    @Test(arguments: [
        ("providers: [{ name: p, kind: openai, base_url: \"https://p.example.com/v1\", task: image, models: [{ name: a }] }]", 1, 82,
         "providers[0].task: 'image' is not one of chat, completion, embeddings, text-to-image, speech-to-text, text-to-speech, text-to-video"),
        ("providers:\n  - name: p\n    kind: openai\n    base_url: https://p.example.com/v1\n    models:\n      - { name: a, task: tts }", 6, 26,
         "providers[0].models[0].task: 'tts' is not one of chat, completion, embeddings, text-to-image, speech-to-text, text-to-speech, text-to-video"),
        ("providers:\n  - name: p\n    kind: openai\n    base_url: https://p.example.com/v1\n    price: { per_image: -0.1 }\n    models: [{ name: a }]", 5, 25,
         "providers[0].price.per_image must not be negative"),
        ("providers:\n  - name: p\n    kind: openai\n    base_url: https://p.example.com/v1\n    models:\n      - { name: flux }\n      - { name: flux, task: text-to-image }", 7, 9,
         "model 'flux' is listed twice under provider 'p', as chat and as text-to-image; a provider's model is one target with one task: give one of them another name, or put it under a second provider"),
    ])
    func badTasksArePinnedToTheirPlace(yaml: String, line: Int, column: Int, message: String) {
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.parse(yaml: yaml, file: "bad.yaml") }
        #expect(error?.description == "bad.yaml:\(line):\(column): \(message)")
    }
}
