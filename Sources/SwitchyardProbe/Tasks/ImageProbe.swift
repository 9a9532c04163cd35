import SwitchyardCore

/// The text-to-image completion probe (budgeted: every image is billed): `POST
/// {base}/images/generations` for one image at the probe's `image_size` (by default 256x256, the
/// smallest size OpenAI-compatible image APIs commonly take), as base64; the answer must hold a
/// whole PNG, JPEG, WebP or GIF (an image given only by URL counts, unchecked, and says so).
enum ImageProbe {
    static func probe(_ target: ProbeTarget, using transport: any HTTPTransport, now: Timestamp) async -> ProbeResult {
        let ask = Ask(model: target.upstreamModel, prompt: "A small red circle on white.", n: 1, size: target.settings.imageSize,
                      responseFormat: "b64_json")
        let result = await transport.perform(target.taskPost(target.taskBase + "/images/generations", json: ask, maxBodyBytes: 16 << 20))
        return TaskVerdict.result(of: result, task: .textToImage, target: target, now: now, expecting: TaskAnswerExpectation(images: 1)) { measure in
            target.price?.cost(tokensIn: 0, tokensOut: 0, seconds: result.timings.total, images: measure.images) ?? 0
        }
    }

    private struct Ask: Encodable {
        var model: String
        var prompt: String
        var n: Int
        var size: String
        var responseFormat: String

        enum CodingKeys: String, CodingKey {
            case model, prompt, n, size
            case responseFormat = "response_format"
        }
    }
}
