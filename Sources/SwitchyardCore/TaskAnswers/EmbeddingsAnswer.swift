import Foundation

/// An embeddings answer: OpenAI's `{"data": [{"embedding": [...] | "<base64 float32>"}]}`, or
/// Hugging Face feature extraction's bare arrays (`[...]`, `[[...], ...]`).
enum EmbeddingsAnswer {
    static func measure(_ body: [UInt8], expecting expectation: TaskAnswerExpectation) throws -> TaskAnswerMeasure {
        let lengths = try vectorLengths(Data(body))
        guard !lengths.isEmpty else { throw TaskAnswerProblem("the embeddings answer holds no vector") }
        if let zero = lengths.firstIndex(of: 0) { throw TaskAnswerProblem("vector \(zero) of the embeddings answer is empty") }
        guard let first = lengths.first, lengths.allSatisfy({ $0 == first }) else {
            throw TaskAnswerProblem("the embeddings answer mixes vector lengths \(Set(lengths).sorted())")
        }
        if let dimensions = expectation.dimensions, first != dimensions {
            throw TaskAnswerProblem("the embeddings answer has \(first)-dimensional vectors, \(dimensions) were asked for")
        }
        if let inputs = expectation.inputs, lengths.count != inputs {
            throw TaskAnswerProblem("the embeddings answer has \(lengths.count) vectors for \(inputs) inputs")
        }
        var measure = TaskAnswerMeasure()
        measure.vectors = lengths.count
        measure.dimensions = first
        return measure
    }

    /// The length of every vector, in order.
    private static func vectorLengths(_ data: Data) throws -> [Int] {
        let decoder = JSONDecoder()
        if let openAI = try? decoder.decode(OpenAIEmbeddings.self, from: data) {
            return openAI.data.map(\.embedding.count)
        }
        if let one = try? decoder.decode([FiniteNumber].self, from: data) { return [one.count] }
        if let many = try? decoder.decode([[FiniteNumber]].self, from: data) { return many.map(\.count) }
        if let tokens = try? decoder.decode([[[FiniteNumber]]].self, from: data) {
            // Unpooled output: one vector per token; every token vector counts.
            return tokens.flatMap { $0.map(\.count) }
        }
        throw TaskAnswerProblem("the answer is not an embeddings answer (OpenAI `data[].embedding` or arrays of numbers)")
    }

    private struct OpenAIEmbeddings: Decodable {
        var data: [Item]
        struct Item: Decodable { var embedding: Vector }
    }

    /// A vector as numbers, or as base64 of little-endian float32 (`encoding_format: base64`).
    private struct Vector: Decodable {
        var count: Int

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let numbers = try? container.decode([FiniteNumber].self) {
                count = numbers.count
                return
            }
            let text = try container.decode(String.self)
            guard let bytes = Data(base64Encoded: text), bytes.count % 4 == 0 else {
                throw TaskAnswerProblem("an embedding is neither numbers nor base64 float32")
            }
            count = bytes.count / 4
        }
    }

    /// A JSON number that is finite (a NaN or infinity in a vector is a broken answer).
    private struct FiniteNumber: Decodable {
        init(from decoder: any Decoder) throws {
            let value = try decoder.singleValueContainer().decode(Double.self)
            guard value.isFinite else { throw TaskAnswerProblem("an embedding holds a non-finite number") }
        }
    }
}
