import Foundation
@testable import SwitchyardServer
import SwitchyardCore
import Testing

/// A whole 2xx answer of a non-text task is checked before it goes out: JSON garbage, a
/// truncated PNG, a 0-length vector, a vector of the wrong size each fail with a class and a
/// reason (then the gateway fails over); valid answers are measured for their price.
@Suite struct TaskAnswerCheckTests {
    /// A whole 1×1 PNG: signature, IHDR, IDAT, IEND (CRCs are not checked).
    static let png: [UInt8] = {
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let length = UInt32(data.count)
            return [UInt8(length >> 24), UInt8(length >> 16 & 255), UInt8(length >> 8 & 255), UInt8(length & 255)] + Array(type.utf8) + data + [0, 0, 0, 0]
        }
        return ImageBytes.pngSignature + chunk("IHDR", [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]) + chunk("IDAT", [120, 156, 99, 248, 15, 0, 1, 1, 1, 0]) + chunk("IEND", [])
    }()

    static func check(_ endpoint: GatewayEndpoint, _ body: String, contentType: String? = "application/json", dimensions: Int? = nil) -> Result<AnswerCheck.Checked, AnswerCheck.Problem> {
        AnswerCheck.check(endpoint, Array(body.utf8), contentType: contentType, expectation: AnswerExpectation(dimensions: dimensions))
    }

    static func imageAnswer(_ images: [[UInt8]]) -> String {
        #"{"created":1,"data":["# + images.map { #"{"b64_json":""# + Data($0).base64EncodedString() + #""}"# }.joined(separator: ",") + "]}"
    }

    @Test func wholeImagesPassAndAreCountedForTheirPrice() throws {
        let checked = try Self.check(.imagesGenerations, Self.imageAnswer([Self.png, Self.png])).get()
        #expect(checked.measure.images == 2)
        #expect(try Self.check(.imagesGenerations, #"{"data":[{"url":"https://img.example/1.png"}]}"#).get().measure.images == 1)
    }

    @Test(arguments: [
        ("{not json", "not a JSON object"),
        (#"{"created":1}"#, "without `data`"),
        (#"{"data":[]}"#, "no image"),
        (#"{"data":[{"revised_prompt":"x"}]}"#, "neither b64_json nor url"),
        (#"{"data":[{"b64_json":"!!!"}]}"#, "not base64"),
    ])
    func badImageAnswersFailWithAReason(body: String, reason: String) {
        guard case .failure(let problem) = Self.check(.imagesGenerations, body) else { Issue.record("passed: \(body)"); return }
        #expect(problem.errorClass == .badResponse)
        #expect(problem.why.contains(reason), "\(problem.why)")
    }

    @Test func aTruncatedPNGFails() {
        for cut in [4, 20, Self.png.count / 2, Self.png.count - 1] {
            guard case .failure(let problem) = Self.check(.imagesGenerations, Self.imageAnswer([Array(Self.png.prefix(cut))])) else {
                Issue.record("a PNG cut at \(cut) passed"); continue
            }
            #expect(problem.why.contains("image 0"), "\(problem.why)")
        }
        #expect(ImageBytes.problem(Self.png) == nil)
        #expect(ImageBytes.problem(Array("GIF89a".utf8)) == "not a PNG, JPEG or WebP")
    }

    @Test func embeddingsMustHaveVectorsOfTheAskedSize() throws {
        let good = #"{"object":"list","data":[{"embedding":[0.1,-2,3e-2]}],"usage":{"prompt_tokens":3,"total_tokens":3}}"#
        #expect(try Self.check(.embeddings, good).get().usage?.tokensIn == 3)
        #expect((try? Self.check(.embeddings, good, dimensions: 3).get()) != nil)
        // The `openai` SDK asks for base64 by default: float32s, little endian.
        let floats = Data([Float](repeating: 0.5, count: 4).withUnsafeBytes { Array($0) }).base64EncodedString()
        #expect((try? Self.check(.embeddings, #"{"data":[{"embedding":"\#(floats)"}]}"#, dimensions: 4).get()) != nil)
        let cases: [(String, Int?, String)] = [
            (#"{"data":[{"embedding":[]}]}"#, nil, "length 0"),
            (#"{"data":[{"embedding":""}]}"#, nil, "length 0"),
            (good, 8, "has 3 dimensions, the request asked for 8"),
            (#"{"data":[{"embedding":["a"]}]}"#, nil, "not a list of numbers"),
            (#"{"data":[]}"#, nil, "no vector"),
            ("[1,2]", nil, "not a JSON object"),
        ]
        for (body, dimensions, reason) in cases {
            guard case .failure(let problem) = Self.check(.embeddings, body, dimensions: dimensions) else { Issue.record("passed: \(body)"); continue }
            #expect(problem.why.contains(reason), "\(problem.why)")
        }
    }

    @Test func audioAnswersAreBytesAndAWAVIsMeasured() throws {
        // 16 kHz mono 16-bit: 32,000 bytes a second; 16,000 bytes of samples = 0.5 s.
        var wav = Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WAVEfmt ".utf8) + [16, 0, 0, 0, 1, 0, 1, 0, 0x80, 0x3E, 0, 0, 0, 0x7D, 0, 0, 2, 0, 16, 0]
        wav += Array("data".utf8) + [0x80, 0x3E, 0, 0] + [UInt8](repeating: 0, count: 16_000)
        let checked = try AnswerCheck.check(.audioSpeech, wav, contentType: "audio/wav", expectation: AnswerExpectation()).get()
        #expect(checked.measure.audioSeconds == 0.5)
        #expect((try? AnswerCheck.check(.audioSpeech, [0xFF, 0xFB, 1], contentType: "audio/mpeg", expectation: AnswerExpectation()).get()) != nil)
        #expect((try? AnswerCheck.check(.audioSpeech, [], contentType: "audio/wav", expectation: AnswerExpectation()).get()) == nil)
        #expect((try? AnswerCheck.check(.audioSpeech, Array(wav.prefix(30)), contentType: "audio/wav", expectation: AnswerExpectation()).get()) == nil)
        #expect((try? AnswerCheck.check(.audioSpeech, Array("{}".utf8), contentType: "application/json", expectation: AnswerExpectation()).get()) == nil)
    }

    @Test func transcriptsAreJSONWithTextOrPlainText() throws {
        #expect(try Self.check(.audioTranscriptions, #"{"text":"hi","duration":2.5}"#).get().measure.audioSeconds == 2.5)
        #expect((try? Self.check(.audioTranscriptions, "1\n00:00:00,000 --> 00:00:01,000\nhi\n", contentType: "text/plain").get()) != nil)
        #expect((try? Self.check(.audioTranscriptions, #"{"segments":[]}"#).get()) == nil)
        #expect((try? Self.check(.audioTranscriptions, "{garbage").get()) == nil)
    }
}
