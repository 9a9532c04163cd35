import Foundation

/// An image answer: OpenAI's `{"data": [{"b64_json"} | {"url"}]}`, the `{"images": [{"url"}]}`
/// some partner providers send, or the image's own bytes (Hugging Face's shape). Images that
/// come as bytes (raw, base64, or a `data:` URL) must decode as a whole PNG, JPEG, WebP or GIF.
enum ImageAnswer {
    static func measure(_ body: [UInt8], contentType: String?, expecting expectation: TaskAnswerExpectation) throws -> TaskAnswerMeasure {
        var measure = TaskAnswerMeasure()
        if let format = MediaFormat.image(startingWith: body) {
            try format.validate(body)
            measure.images = 1
        } else if TaskAnswers.mediaType(contentType)?.hasPrefix("image/") == true {
            throw TaskAnswerProblem("the image answer's bytes are not a PNG, JPEG, WebP or GIF")
        } else {
            let images = try imagesInJSON(body)
            for (index, image) in images.enumerated() {
                switch image {
                case .bytes(let bytes):
                    guard let format = MediaFormat.image(startingWith: bytes) else {
                        throw TaskAnswerProblem("image \(index) of the answer is not a PNG, JPEG, WebP or GIF")
                    }
                    do { try format.validate(bytes) } catch let problem as TaskAnswerProblem {
                        throw TaskAnswerProblem("image \(index) of the answer: \(problem.message)")
                    }
                case .reference:
                    measure.byReference = true
                }
            }
            measure.images = images.count
        }
        guard measure.images > 0 else { throw TaskAnswerProblem("the image answer holds no image") }
        if let asked = expectation.images, measure.images > asked {
            throw TaskAnswerProblem("the image answer holds \(measure.images) images, \(asked) were asked for")
        }
        return measure
    }

    private enum Image { case bytes([UInt8]), reference }

    private static func imagesInJSON(_ body: [UInt8]) throws -> [Image] {
        guard let answer = try? JSONDecoder().decode(ImagesJSON.self, from: Data(body)),
              let items = answer.data ?? answer.images else {
            throw TaskAnswerProblem("the answer is not an image answer (image bytes, `data[]` or `images[]`)")
        }
        return try items.enumerated().map { index, item in
            if let base64 = item.b64_json {
                guard let bytes = Data(base64Encoded: base64, options: .ignoreUnknownCharacters) else {
                    throw TaskAnswerProblem("image \(index) of the answer is not valid base64")
                }
                return .bytes([UInt8](bytes))
            }
            guard let url = item.url, !url.isEmpty else { throw TaskAnswerProblem("image \(index) of the answer has neither bytes nor a URL") }
            if let bytes = try DataURL.bytes(url) { return .bytes(bytes) }
            return .reference
        }
    }

    private struct ImagesJSON: Decodable {
        var data: [Item]?
        var images: [Item]?
        struct Item: Decodable {
            var b64_json: String?
            var url: String?
        }
    }
}

/// `data:` URLs, which some providers use to return media inline.
enum DataURL {
    /// The bytes of a base64 `data:` URL; nil for any other URL.
    static func bytes(_ url: String) throws -> [UInt8]? {
        guard url.hasPrefix("data:") else { return nil }
        guard let comma = url.firstIndex(of: ","), url[..<comma].hasSuffix(";base64"),
              let bytes = Data(base64Encoded: String(url[url.index(after: comma)...]), options: .ignoreUnknownCharacters) else {
            throw TaskAnswerProblem("a data: URL in the answer is not base64")
        }
        return [UInt8](bytes)
    }
}
