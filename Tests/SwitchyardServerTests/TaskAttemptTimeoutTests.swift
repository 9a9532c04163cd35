@testable import SwitchyardServer
import SwitchyardCore
import Testing

/// Each gateway endpoint's attempt timeout comes from its task unless the model sets
/// `attempt_timeout`: a 45 s image is not cut by a chat-sized timeout; 45 s embeddings are.
/// Decided as values on a manual clock (no 45 s wait).
@Suite struct TaskAttemptTimeoutTests {
    static func policy(_ endpoint: GatewayEndpoint, streaming: Bool = false, configured: Double? = nil) -> AttemptPolicy {
        AttemptPolicy(candidateCount: 2, maxAttempts: 3,
                      attemptTimeoutSeconds: configured ?? endpoint.defaultAttemptTimeout(streaming: streaming))
    }

    /// Seconds waited on the clock for an attempt started at `start`.
    static func waited(_ clock: ManualClock, since start: ManualClock.Instant) -> Double {
        let duration = start.duration(to: clock.now)
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    @Test func aFortyFiveSecondImageIsNotCutButFortyFiveSecondEmbeddingsAre() {
        let clock = ManualClock()
        let start = clock.now
        clock.advance(by: .seconds(45))
        let waited = Self.waited(clock, since: start)
        #expect(!Self.policy(.imagesGenerations).cuts(waitedSeconds: waited), "an image may take a minute")
        #expect(!Self.policy(.audioSpeech).cuts(waitedSeconds: waited))
        #expect(!Self.policy(.audioTranscriptions).cuts(waitedSeconds: waited))
        #expect(Self.policy(.embeddings).cuts(waitedSeconds: waited), "embeddings get 10 s")
        // A chat stream's first byte gets 30 s: the size of timeout an image must not get.
        #expect(Self.policy(.chatCompletions, streaming: true).cuts(waitedSeconds: waited))
        clock.advance(by: .seconds(15))
        #expect(Self.policy(.imagesGenerations).cuts(waitedSeconds: Self.waited(clock, since: start)), "cut at its 60 s")
    }

    @Test func theTableTakesEachTasksDefaultAndTextKeepsItsOwn() {
        let seconds = Dictionary(uniqueKeysWithValues: GatewayEndpoint.allCases.map { ($0, $0.defaultAttemptTimeout(streaming: false)) })
        #expect(seconds == [.chatCompletions: 120, .completions: 120, .embeddings: 10, .imagesGenerations: 60,
                            .audioTranscriptions: 60, .audioSpeech: 60])
        #expect(GatewayEndpoint.chatCompletions.defaultAttemptTimeout(streaming: true) == 30)
        for endpoint in GatewayEndpoint.allCases where !endpoint.generates {
            #expect(endpoint.defaultAttemptTimeout(streaming: false) == endpoint.task.defaultAttemptTimeoutSeconds)
        }
    }

    @Test func aModelsAttemptTimeoutWinsOverTheTasksDefault() {
        #expect(AttemptTimeouts.seconds(task: .embeddings, streaming: false, configured: 90) == 90)
        #expect(AttemptTimeouts.seconds(task: .textToImage, streaming: false, configured: 5) == 5)
        #expect(AttemptTimeouts.seconds(task: .textToImage, streaming: false, configured: nil) == 60)
        let clock = ManualClock()
        let start = clock.now
        clock.advance(by: .seconds(45))
        #expect(!Self.policy(.embeddings, configured: 90).cuts(waitedSeconds: Self.waited(clock, since: start)))
    }
}
