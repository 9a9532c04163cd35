import Foundation
@testable import SwitchyardServer
import SwitchyardCore
import Testing

/// A whole 2xx answer of a non-text task is checked (with `TaskAnswers`) before it goes out:
/// JSON garbage, a truncated PNG, a 0-length vector, a vector of the wrong size each fail with a
/// class and a reason (then the gateway fails over); valid answers are measured for their price.
@Suite struct TaskAnswerCheckTests {
    static let png = MediaSamples.png()

    static func check(_ endpoint: GatewayEndpoint, _ body: String, contentType: String? = "application/json",
                      expectation: TaskAnswerExpectation = TaskAnswerExpectation()) -> Result<AnswerCheck.Checked, AnswerCheck.Problem> {
        AnswerCheck.check(endpoint, Array(body.utf8), contentType: contentType, expectation: AnswerExpectation(answer: expectation))
    }

    static func imageAnswer(_ images: [[UInt8]]) -> String {
        #"{"created":1,"data":["# + images.map { #"{"b64_json":""# + Data($0).base64EncodedString() + #""}"# }.joined(separator: ",") + "]}"
    }

    static func why(_ result: Result<AnswerCheck.Checked, AnswerCheck.Problem>) -> String? {
        if case .failure(let problem) = result { return "\(problem.errorClass.rawValue): \(problem.why)" }
        return nil
    }

    @Test func wholeImagesPassAndAreCountedForTheirPrice() throws {
        #expect(try Self.check(.imagesGenerations, Self.imageAnswer([Self.png, Self.png])).get().measure.images == 2)
        #expect(try Self.check(.imagesGenerations, #"{"data":[{"url":"https://img.example/1.png"}]}"#).get().measure.images == 1)
        // More images than `n` asked for is not the answer asked for.
        #expect(Self.why(Self.check(.imagesGenerations, Self.imageAnswer([Self.png, Self.png]), expectation: TaskAnswerExpectation(images: 1))) != nil)
    }

    @Test(arguments: ["{not json", #"{"created":1}"#, #"{"data":[]}"#, #"{"data":[{"revised_prompt":"x"}]}"#, #"{"data":[{"b64_json":"!!!"}]}"#])
    func badImageAnswersFailAsBadResponses(body: String) {
        let why = Self.why(Self.check(.imagesGenerations, body))
        #expect(why?.hasPrefix("bad_response: ") == true, "\(why ?? "passed")")
    }

    @Test func aTruncatedPNGFails() {
        for cut in [20, Self.png.count / 2, Self.png.count - 1] {
            let why = Self.why(Self.check(.imagesGenerations, Self.imageAnswer([Array(Self.png.prefix(cut))])))
            #expect(why?.contains("image 0") == true, "cut at \(cut): \(why ?? "passed")")
        }
    }

    @Test func embeddingsMustHaveVectorsOfTheAskedSize() throws {
        let good = #"{"object":"list","data":[{"embedding":[0.1,-2,3e-2]}],"usage":{"prompt_tokens":3,"total_tokens":3}}"#
        #expect(try Self.check(.embeddings, good).get().usage?.tokensIn == 3)
        #expect((try? Self.check(.embeddings, good, expectation: TaskAnswerExpectation(dimensions: 3)).get()) != nil)
        // The `openai` SDK asks for base64 by default: float32s, little endian.
        let floats = Data([Float](repeating: 0.5, count: 4).withUnsafeBytes { Array($0) }).base64EncodedString()
        #expect((try? Self.check(.embeddings, #"{"data":[{"embedding":"\#(floats)"}]}"#, expectation: TaskAnswerExpectation(dimensions: 4)).get()) != nil)
        let cases: [(String, TaskAnswerExpectation, String)] = [
            (#"{"data":[{"embedding":[]}]}"#, TaskAnswerExpectation(), "empty"),
            (good, TaskAnswerExpectation(dimensions: 8), "3-dimensional vectors, 8 were asked for"),
            (good, TaskAnswerExpectation(inputs: 2), "1 vectors for 2 inputs"),
            (#"{"data":[]}"#, TaskAnswerExpectation(), "no vector"),
            ("{garbage", TaskAnswerExpectation(), "not an embeddings answer"),
        ]
        for (body, expectation, reason) in cases {
            let why = Self.why(Self.check(.embeddings, body, expectation: expectation))
            #expect(why?.contains(reason) == true, "\(body): \(why ?? "passed")")
        }
    }

    @Test func theRequestSaysWhatToExpect() throws {
        func expectation(_ endpoint: GatewayEndpoint, _ json: String) throws -> TaskAnswerExpectation {
            AnswerExpectation.of(.json(try #require(JSONBody(Array(json.utf8)))), endpoint: endpoint).answer
        }
        #expect(try expectation(.embeddings, #"{"model":"m","input":"a","dimensions":8}"#) == TaskAnswerExpectation(inputs: 1, dimensions: 8))
        #expect(try expectation(.embeddings, #"{"model":"m","input":["a","b"]}"#) == TaskAnswerExpectation(inputs: 2))
        #expect(try expectation(.embeddings, #"{"model":"m","input":[1,2,3]}"#) == TaskAnswerExpectation(inputs: 1), "token ids are one input")
        #expect(try expectation(.imagesGenerations, #"{"model":"m","prompt":"x","n":2}"#) == TaskAnswerExpectation(images: 2))
    }

    @Test func audioAnswersAreWholeFilesAndAWAVIsMeasured() throws {
        let wav = MediaSamples.wav(seconds: 0.5)
        let checked = try AnswerCheck.check(.audioSpeech, wav, contentType: "audio/wav", expectation: AnswerExpectation()).get()
        #expect(abs(checked.measure.audioSeconds - 0.5) < 0.01)
        #expect(Self.why(AnswerCheck.check(.audioSpeech, [], contentType: "audio/wav", expectation: AnswerExpectation())) != nil)
        #expect(Self.why(AnswerCheck.check(.audioSpeech, Array(wav.prefix(30)), contentType: "audio/wav", expectation: AnswerExpectation())) != nil)
    }

    @Test func aTranscriptIsPricedOnTheUploadedAudioWhenItDoesNotSayItsDuration() throws {
        let form = try MultipartForm(MultipartFormTests.form(audio: MediaSamples.wav(seconds: 1.5)), boundary: "b0undary")
        let expectation = AnswerExpectation.of(.multipart(form), endpoint: .audioTranscriptions)
        #expect(abs((expectation.uploadedAudioSeconds ?? 0) - 1.5) < 0.01)
        let plain = try AnswerCheck.check(.audioTranscriptions, Array("hello".utf8), contentType: "text/plain", expectation: expectation).get()
        #expect(abs(plain.measure.audioSeconds - 1.5) < 0.01)
        let json = try AnswerCheck.check(.audioTranscriptions, Array(#"{"text":"hello"}"#.utf8), contentType: "application/json", expectation: expectation).get()
        #expect(abs(json.measure.audioSeconds - 1.5) < 0.01)
        let said = try AnswerCheck.check(.audioTranscriptions, Array(#"{"text":"hello","duration":2}"#.utf8), contentType: nil, expectation: expectation).get()
        #expect(said.measure.audioSeconds == 2, "the answer's own duration wins")
    }

    @Test func transcriptsAreJSONWithTextOrPlainText() throws {
        #expect(try Self.check(.audioTranscriptions, #"{"text":"hi","duration":2.5}"#).get().measure.audioSeconds == 2.5)
        #expect((try? Self.check(.audioTranscriptions, "1\n00:00:00,000 --> 00:00:01,000\nhi\n", contentType: "text/plain").get()) != nil)
        #expect(Self.why(Self.check(.audioTranscriptions, #"{"segments":[]}"#)) != nil)
        #expect(Self.why(Self.check(.audioTranscriptions, "{garbage")) != nil)
    }
}
