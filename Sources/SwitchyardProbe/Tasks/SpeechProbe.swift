import SwitchyardCore

/// The text-to-speech completion probe (budgeted): `POST {base}/audio/speech` speaking a word as
/// WAV; the answer must be whole audio (WAV, FLAC, MP3, Ogg or raw PCM). The seconds spoken, where
/// the format tells, are the observation's audio seconds.
enum SpeechProbe {
    /// What is spoken: one word, well under a second of audio.
    static let input = "OK."
    /// The longest a probe's speech is expected to last, for the budget's estimate.
    static let maxSpokenSeconds = 2.0

    static func probe(_ target: ProbeTarget, using transport: any HTTPTransport, now: Timestamp) async -> ProbeResult {
        let ask = Ask(model: target.upstreamModel, input: input, voice: "alloy", responseFormat: "wav")
        let result = await transport.perform(target.taskPost(target.taskBase + "/audio/speech", json: ask, maxBodyBytes: 16 << 20))
        return TaskVerdict.result(of: result, task: .textToSpeech, target: target, now: now) { measure in
            target.price?.cost(tokensIn: 0, tokensOut: 0, seconds: result.timings.total, audioSeconds: measure.audioSeconds ?? maxSpokenSeconds) ?? 0
        }
    }

    private struct Ask: Encodable {
        var model: String
        var input: String
        var voice: String
        var responseFormat: String

        enum CodingKeys: String, CodingKey {
            case model, input, voice
            case responseFormat = "response_format"
        }
    }
}
