/// A `multipart/form-data` body made of text fields and at most one file, as the speech-to-text
/// probe uploads its clip (and the video probe sends its fields). The boundary is fixed and cannot occur in the fields the probe writes; the
/// file's bytes are checked for it.
struct MultipartFormBody: Sendable {
    /// `Content-Type` with the boundary.
    let contentType: String
    let bytes: [UInt8]

    /// `fields` in order, then `file` (when given) under the field name `fileField`; nil when the boundary occurs in the data.
    init?(fields: [(String, String)], fileField: String = "file", filename: String = "file", fileType: String = "application/octet-stream",
          file: [UInt8]? = nil, boundary: String = "switchyard-probe-7d1e4c2a9b") {
        let dash = Array("--\(boundary)".utf8)
        guard !Self.contains(dash, in: file ?? []), !fields.contains(where: { $0.1.contains(boundary) || $0.0.contains("\"") }) else { return nil }
        var body: [UInt8] = []
        for (name, value) in fields {
            body += dash + Array("\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        if let file {
            body += dash + Array("\r\nContent-Disposition: form-data; name=\"\(fileField)\"; filename=\"\(filename)\"\r\nContent-Type: \(fileType)\r\n\r\n".utf8)
            body += file + Array("\r\n".utf8)
        }
        body += dash + Array("--\r\n".utf8)
        contentType = "multipart/form-data; boundary=\(boundary)"
        bytes = body
    }

    private static func contains(_ needle: [UInt8], in haystack: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { start in
            haystack[start] == needle[0] && haystack[start..<start + needle.count].elementsEqual(needle)
        }
    }
}
