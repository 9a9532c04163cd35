@testable import SwitchyardServer
import Testing

/// The gateway reads a `multipart/form-data` upload only far enough to route it: the `model`
/// field, which it replaces by the candidate's upstream id; every other byte goes on unchanged.
@Suite struct MultipartFormTests {
    /// A form as `httpx` (the `openai` SDK's client) writes one: a file part and text fields.
    static func form(boundary: String = "b0undary", model: String = "whisper", audio: [UInt8] = [0, 1, 2, 13, 10, 45, 45, 255]) -> [UInt8] {
        var out = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\n".utf8)
        out += audio
        out += Array("\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n\(model)\r\n".utf8)
        out += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"language\"\r\n\r\nen\r\n--\(boundary)--\r\n".utf8)
        return out
    }

    @Test func theModelFieldIsReadAndReplacedAndEveryOtherByteStays() throws {
        let audio: [UInt8] = [0, 1, 2, 13, 10, 45, 45, 255] + Array("\r\n--b0undar".utf8)  // a near-boundary inside the file
        let bytes = Self.form(audio: audio)
        let form = try MultipartForm(bytes, boundary: "b0undary")
        #expect(form.parts.map(\.name) == ["file", "model", "language"])
        #expect(form.parts[0].filename == "a.wav")
        #expect(Array(bytes[form.parts[0].content]) == audio, "the file is read up to its boundary, not one byte less")
        #expect(form.field("model") == "whisper")
        #expect(form.field("file") == nil, "a file is not a text field")
        #expect(form.field("language") == "en")
        let rewritten = form.replacing(field: "model", with: "openai/whisper-large-v3")
        #expect(rewritten == Self.form(model: "openai/whisper-large-v3", audio: audio))
        #expect(try MultipartForm(rewritten, boundary: "b0undary").field("model") == "openai/whisper-large-v3")
    }

    @Test(arguments: [
        ("multipart/form-data; boundary=abc", "abc"),
        ("Multipart/Form-Data;boundary=\"a b:c\"", "a b:c"),
        ("multipart/form-data; charset=utf-8; boundary=----WebKitFormBoundary7MA4YWxk", "----WebKitFormBoundary7MA4YWxk"),
    ])
    func theBoundaryIsReadFromTheContentType(contentType: String, boundary: String) {
        #expect(MultipartForm.boundary(ofContentType: contentType) == boundary)
    }

    @Test(arguments: ["application/json", "multipart/form-data", "multipart/form-data; boundary=", "multipart/mixed; boundary=abc",
                      "multipart/form-data; boundary=" + String(repeating: "x", count: 71)])
    func aContentTypeWithoutAUsableBoundaryIsRefused(contentType: String) {
        #expect(MultipartForm.boundary(ofContentType: contentType) == nil)
    }

    @Test func malformedFormsAreRefusedNotGuessedAt() {
        let whole = Self.form()
        // Cut anywhere before the closing delimiter: no closing boundary.
        for cut in [10, 60, whole.count / 2, whole.count - 20] {
            #expect(throws: MultipartForm.Problem.self, "cut at \(cut)") { try MultipartForm(Array(whole.prefix(cut)), boundary: "b0undary") }
        }
        #expect(throws: MultipartForm.Problem.self) { try MultipartForm(whole, boundary: "other") }
        let noName = Array("--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n".utf8)
        #expect(throws: MultipartForm.Problem.self) { try MultipartForm(noName, boundary: "b") }
        let endlessHeaders = Array("--b\r\nX: ".utf8) + Array(repeating: UInt8(ascii: "y"), count: MultipartForm.maxHeaderBytes + 10)
        #expect(throws: MultipartForm.Problem.self) { try MultipartForm(endlessHeaders, boundary: "b") }
        var many: [UInt8] = []
        for index in 0...MultipartForm.maxParts { many += Array("--b\r\nContent-Disposition: form-data; name=\"f\(index)\"\r\n\r\nv\r\n".utf8) }
        many += Array("--b--\r\n".utf8)
        #expect(throws: MultipartForm.Problem.tooManyParts) { try MultipartForm(many, boundary: "b") }
    }

    @Test func aQuotedNameWithEscapesAndAPreambleAreRead() throws {
        let bytes = Array("preamble\r\n--b\r\nContent-Disposition: form-data; name=\"mo\\\"del\"; filename=\"x;y.wav\"\r\n\r\nv\r\n--b--".utf8)
        let form = try MultipartForm(bytes, boundary: "b")
        #expect(form.parts.map(\.name) == ["mo\"del"])
        #expect(form.parts.first?.filename == "x;y.wav")
    }
}
