import Foundation

/// A speech-to-text answer: `{"text": "..."}` from OpenAI and Hugging Face alike (extra members,
/// such as `chunks` or `segments`, are allowed).
enum TranscriptionAnswer {
    static func measure(_ body: [UInt8]) throws -> TaskAnswerMeasure {
        guard let answer = try? JSONDecoder().decode(Transcription.self, from: Data(body)) else {
            throw TaskAnswerProblem("the answer is not a transcription (`{\"text\": ...}`)")
        }
        var measure = TaskAnswerMeasure()
        measure.transcriptCharacters = answer.text.count
        return measure
    }

    private struct Transcription: Decodable { var text: String }
}
