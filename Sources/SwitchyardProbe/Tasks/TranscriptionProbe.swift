import SwitchyardCore

/// The speech-to-text completion probe: a one-second WAV tone made in code (nothing is fetched)
/// uploaded as `multipart/form-data` to `POST {base}/audio/transcriptions`; the answer must be a
/// transcription (`{"text": ...}`). The clip's length is the observation's audio seconds.
enum TranscriptionProbe {
    /// Seconds of audio each probe sends.
    static let clipSeconds = 1.0
    /// The clip: 16 kHz mono 16-bit PCM, a 440 Hz tone (32 KB), made once.
    static let clip = MediaSamples.wav(seconds: clipSeconds, sampleRate: 16_000, hertz: 440)

    static func probe(_ target: ProbeTarget, using transport: any HTTPTransport, now: Timestamp) async -> ProbeResult {
        guard let form = MultipartFormBody(fields: [("model", target.upstreamModel), ("response_format", "json")], fileField: "file",
                                           filename: "switchyard-probe.wav", fileType: "audio/wav", file: clip) else {
            return ProbeResult(outcome: .failure(.badResponse), timings: PhaseTimings(), message: "the model id cannot be sent in a form")
        }
        let request = target.taskPost(target.taskBase + "/audio/transcriptions", body: form.bytes, contentType: form.contentType)
        let result = await transport.perform(request)
        var answer = TaskVerdict.result(of: result, task: .speechToText, target: target, now: now) { _ in
            target.price?.cost(tokensIn: 0, tokensOut: 0, seconds: result.timings.total, audioSeconds: clipSeconds) ?? 0
        }
        answer.audioSeconds = clipSeconds
        return answer
    }
}
