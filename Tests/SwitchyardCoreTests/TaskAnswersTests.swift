import Foundation
import Testing
@testable import SwitchyardCore

/// Answers of non-chat tasks are held to their shape: what is wrong is a `bad_response` with a
/// message saying what, and what is right yields the measure prices and reports need.
@Suite struct TaskAnswersTests {
    private func problem(_ result: Result<TaskAnswerMeasure, TaskAnswerProblem>) -> TaskAnswerProblem? {
        if case .failure(let problem) = result { return problem }
        return nil
    }

    private func measure(_ result: Result<TaskAnswerMeasure, TaskAnswerProblem>) -> TaskAnswerMeasure? {
        try? result.get()
    }

    private func json(_ object: Any) -> [UInt8] { [UInt8](try! JSONSerialization.data(withJSONObject: object)) }

    @Test func generatedPNGIsAWholeImageAndEveryCutIsCaught() throws {
        let png = MediaSamples.png(width: 16, height: 4)
        #expect(measure(TaskAnswers.check(.textToImage, body: png, contentType: "image/png"))?.images == 1)
        for cut in [1, 12, png.count / 2, png.count - PNG.signature.count - 1] {
            let truncated = Array(png.dropLast(cut))
            let found = problem(TaskAnswers.check(.textToImage, body: truncated, contentType: "image/png"))
            #expect(found?.errorClass == .badResponse)
            #expect(found?.message.contains("PNG") == true, "cut \(cut): \(String(describing: found))")
        }
        var corrupt = png
        corrupt[40] ^= 0xFF
        #expect(problem(TaskAnswers.check(.textToImage, body: corrupt, contentType: "image/png"))?.message.contains("CRC") == true)
    }

    @Test func openAIImagesInBase64URLOrDataURL() throws {
        let png = MediaSamples.png()
        let b64 = Data(png).base64EncodedString()
        let inline = measure(TaskAnswers.check(.textToImage, body: json(["data": [["b64_json": b64], ["b64_json": b64]]]), contentType: "application/json"))
        #expect(inline?.images == 2 && inline?.byReference == false)
        let linked = measure(TaskAnswers.check(.textToImage, body: json(["data": [["url": "https://cdn.example/x.png"]]]), contentType: nil))
        #expect(linked?.images == 1 && linked?.byReference == true)
        let dataURL = measure(TaskAnswers.check(.textToImage, body: json(["images": [["url": "data:image/png;base64,\(b64)"]]]), contentType: nil))
        #expect(dataURL?.images == 1 && dataURL?.byReference == false)

        let truncated = Data(png.dropLast(20)).base64EncodedString()
        #expect(problem(TaskAnswers.check(.textToImage, body: json(["data": [["b64_json": truncated]]]), contentType: nil))?.message.contains("truncated PNG") == true)
        #expect(problem(TaskAnswers.check(.textToImage, body: Array("{\"data\": [garbage".utf8), contentType: "application/json")) != nil)
        #expect(problem(TaskAnswers.check(.textToImage, body: json(["data": []]), contentType: nil))?.message.contains("no image") == true)
        #expect(problem(TaskAnswers.check(.textToImage, body: json(["data": [["b64_json": b64], ["b64_json": b64]]]), contentType: nil,
                                          expecting: TaskAnswerExpectation(images: 1))) != nil)
        #expect(problem(TaskAnswers.check(.textToImage, body: Array("not an image".utf8), contentType: "image/png"))?.message.contains("not a PNG") == true)
    }

    @Test func embeddingsVectorsAreCountedAndHeldToTheirShape() throws {
        let two = json(["object": "list", "data": [["embedding": [0.1, 0.2, 0.3, 0.4], "index": 0], ["embedding": [0.5, 0.6, 0.7, 0.8], "index": 1]]])
        let ok = measure(TaskAnswers.check(.embeddings, body: two, contentType: nil, expecting: TaskAnswerExpectation(inputs: 2, dimensions: 4)))
        #expect(ok?.vectors == 2 && ok?.dimensions == 4)
        #expect(problem(TaskAnswers.check(.embeddings, body: two, contentType: nil, expecting: TaskAnswerExpectation(dimensions: 8)))?.message.contains("8 were asked") == true)
        #expect(problem(TaskAnswers.check(.embeddings, body: two, contentType: nil, expecting: TaskAnswerExpectation(inputs: 3)))?.message.contains("3 inputs") == true)

        let empty = json(["data": [["embedding": [Double]()]]])
        #expect(problem(TaskAnswers.check(.embeddings, body: empty, contentType: nil))?.message.contains("empty") == true)
        #expect(problem(TaskAnswers.check(.embeddings, body: json(["data": [[String: Any]]()]), contentType: nil))?.message.contains("no vector") == true)
        let ragged = json([[0.1, 0.2], [0.3]])
        #expect(problem(TaskAnswers.check(.embeddings, body: ragged, contentType: nil))?.message.contains("mixes") == true)
        #expect(problem(TaskAnswers.check(.embeddings, body: Array("[[0.1, \"x\"]]".utf8), contentType: nil)) != nil)

        // Hugging Face feature extraction: bare arrays, pooled or per token.
        #expect(measure(TaskAnswers.check(.embeddings, body: json([0.1, 0.2, 0.3]), contentType: nil))?.dimensions == 3)
        #expect(measure(TaskAnswers.check(.embeddings, body: json([[0.1, 0.2], [0.3, 0.4]]), contentType: nil))?.vectors == 2)
        // OpenAI's base64 float32 encoding: 12 bytes are 3 dimensions.
        let packed = Data(repeating: 0, count: 12).base64EncodedString()
        #expect(measure(TaskAnswers.check(.embeddings, body: json(["data": [["embedding": packed]]]), contentType: nil))?.dimensions == 3)
    }

    @Test func speechIsAWholeAudioFileWithItsDuration() throws {
        let wav = MediaSamples.wav(seconds: 1.5, sampleRate: 8_000)
        let heard = measure(TaskAnswers.check(.textToSpeech, body: wav, contentType: "audio/wav"))
        #expect(abs((heard?.audioSeconds ?? 0) - 1.5) < 0.001)
        #expect(problem(TaskAnswers.check(.textToSpeech, body: Array(wav.prefix(wav.count / 2)), contentType: "audio/wav"))?.message.contains("truncated WAV") == true)
        #expect(problem(TaskAnswers.check(.textToSpeech, body: Array("{\"oops\":1}".utf8), contentType: "audio/mpeg")) != nil)
        let linked = measure(TaskAnswers.check(.textToSpeech, body: json(["audio": ["url": "https://cdn.example/a.flac"]]), contentType: "application/json"))
        #expect(linked?.byReference == true)
        #expect(AudioDuration.wav(MediaSamples.wav(seconds: 0.25, sampleRate: 16_000)) == 0.25)
    }

    @Test func transcriptionsAndVideos() throws {
        #expect(measure(TaskAnswers.check(.speechToText, body: json(["text": "hello there"]), contentType: nil))?.transcriptCharacters == 11)
        #expect(problem(TaskAnswers.check(.speechToText, body: json(["txt": "x"]), contentType: nil))?.message.contains("transcription") == true)

        let mp4 = MediaSamples.mp4()
        #expect(measure(TaskAnswers.check(.textToVideo, body: mp4, contentType: "video/mp4")) != nil)
        #expect(problem(TaskAnswers.check(.textToVideo, body: Array(mp4.dropLast(10)), contentType: "video/mp4"))?.message.contains("truncated MP4") == true)
        #expect(problem(TaskAnswers.check(.textToVideo, body: Array(mp4.prefix(28)), contentType: "video/mp4")) != nil)
        #expect(measure(TaskAnswers.check(.textToVideo, body: json(["video": ["url": "https://cdn.example/v.mp4"]]), contentType: nil))?.byReference == true)
        #expect(problem(TaskAnswers.check(.textToVideo, body: json(["status": "queued"]), contentType: nil)) != nil)
    }

    @Test func crcMatchesTheStandardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }
}
