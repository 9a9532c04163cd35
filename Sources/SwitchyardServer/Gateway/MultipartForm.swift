import Foundation

/// A `multipart/form-data` body (RFC 7578) read just far enough to route it: its boundary and,
/// for each part, its name and where its content lies. File contents are never copied or
/// decoded; the body sent upstream is the caller's bytes with one field's content replaced.
///
/// Bounded: at most `maxParts` parts, each part's headers at most `maxHeaderBytes`; the body
/// itself was read under the gateway's upload limit. Anything malformed (no closing delimiter,
/// a part without `Content-Disposition: form-data; name=…`) is refused, not guessed at.
struct MultipartForm: Sendable {
    /// One part: its field name, file name (for a file) and content range in `bytes`.
    struct Part: Sendable, Equatable {
        var name: String
        var filename: String?
        var content: Range<Int>
    }

    let bytes: [UInt8]
    let boundary: String
    private(set) var parts: [Part] = []

    static let maxParts = 64
    static let maxHeaderBytes = 8 << 10
    /// Longest text field read back as a string (`model`, `stream`): ids, not files.
    static let maxFieldBytes = 4 << 10

    /// Why a body could not be read as a form.
    enum Problem: Error, Equatable {
        case noBoundary, malformed(String), tooManyParts
    }

    /// The boundary of a `multipart/form-data` content type (quoted or not), or nil.
    static func boundary(ofContentType contentType: String) -> String? {
        let pieces = contentType.split(separator: ";").map { $0.trimmingCharacters(in: [" ", "\t"]) }
        guard let type = pieces.first, type.lowercased() == "multipart/form-data" else { return nil }
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: "="), piece[..<equals].lowercased() == "boundary" else { continue }
            var value = String(piece[piece.index(after: equals)...])
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            // RFC 2046: 1 to 70 characters, no CR/LF.
            guard (1...70).contains(value.utf8.count), !value.contains("\r"), !value.contains("\n") else { return nil }
            return value
        }
        return nil
    }

    init(_ bytes: [UInt8], boundary: String) throws(Problem) {
        self.bytes = bytes
        self.boundary = boundary
        let delimiter = Array("--\(boundary)".utf8)
        let nextDelimiter = Array("\r\n--\(boundary)".utf8)
        // The first delimiter opens the body (a preamble before it is allowed and ignored).
        guard let first = Self.find(delimiter, in: bytes, from: 0), first == 0 || (first >= 2 && bytes[first - 2..<first] == [13, 10]) else {
            throw .malformed("no opening boundary")
        }
        var index = first + delimiter.count
        while true {
            if bytes[index...].starts(with: [45, 45]) { return }  // `--`: the closing delimiter
            // Transport padding, then CRLF, then the part's headers.
            while index < bytes.count, bytes[index] == 32 || bytes[index] == 9 { index += 1 }
            guard bytes[index...].starts(with: [13, 10]) else { throw .malformed("a boundary line is not followed by CRLF") }
            index += 2
            let headerWindow = bytes[index..<min(bytes.count, index + Self.maxHeaderBytes)]
            guard let headerEnd = Self.find([13, 10, 13, 10], in: headerWindow) else {
                throw .malformed("a part's headers do not end within \(Self.maxHeaderBytes) bytes")
            }
            let disposition = try Self.disposition(of: bytes[index..<headerEnd])
            let contentStart = headerEnd + 4
            guard let contentEnd = Self.find(nextDelimiter, in: bytes, from: contentStart) else {
                throw .malformed("the body ends inside part '\(disposition.name)' (no closing boundary)")
            }
            guard parts.count < Self.maxParts else { throw .tooManyParts }
            parts.append(Part(name: disposition.name, filename: disposition.filename, content: contentStart..<contentEnd))
            index = contentEnd + nextDelimiter.count
        }
    }

    /// The text of field `name` (its first part), when it is not a file and not over `maxFieldBytes`.
    func field(_ name: String) -> String? {
        guard let part = parts.first(where: { $0.name == name }), part.filename == nil, part.content.count <= Self.maxFieldBytes else { return nil }
        return String(validating: bytes[part.content], as: UTF8.self)
    }

    /// The body with field `name`'s content replaced by `value` (every other byte unchanged).
    func replacing(field name: String, with value: String) -> [UInt8] {
        guard let part = parts.first(where: { $0.name == name }) else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + value.utf8.count)
        out.append(contentsOf: bytes[..<part.content.lowerBound])
        out.append(contentsOf: value.utf8)
        out.append(contentsOf: bytes[part.content.upperBound...])
        return out
    }

    /// The content type to send with the body (the caller's boundary).
    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// The `name` and `filename` of a part's `Content-Disposition: form-data` header.
    private static func disposition(of headers: ArraySlice<UInt8>) throws(Problem) -> (name: String, filename: String?) {
        let text = String(decoding: headers, as: UTF8.self)
        for line in text.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":"), line[..<colon].lowercased() == "content-disposition" else { continue }
            let value = line[line.index(after: colon)...]
            guard value.trimmingCharacters(in: [" ", "\t"]).lowercased().hasPrefix("form-data") else {
                throw .malformed("a part's Content-Disposition is not form-data")
            }
            guard let name = parameter("name", in: value) else { throw .malformed("a part has no name") }
            return (name, parameter("filename", in: value))
        }
        throw .malformed("a part has no Content-Disposition")
    }

    /// A parameter of a header value (`name="model"`), quoted (with `\` escapes) or a bare token.
    static func parameter(_ wanted: String, in value: Substring) -> String? {
        var rest = value[...]
        while let semicolon = rest.firstIndex(of: ";") {
            rest = rest[rest.index(after: semicolon)...].drop { $0 == " " || $0 == "\t" }
            guard let equals = rest.firstIndex(of: "=") else { return nil }
            let key = rest[..<equals].lowercased()
            var after = rest[rest.index(after: equals)...]
            var parsed = ""
            if after.first == "\"" {
                after = after.dropFirst()
                var escaped = false
                var closed = false
                while let character = after.first {
                    after = after.dropFirst()
                    if escaped { parsed.append(character); escaped = false }
                    else if character == "\\" { escaped = true }
                    else if character == "\"" { closed = true; break }
                    else { parsed.append(character) }
                }
                guard closed else { return nil }
            } else {
                let end = after.firstIndex(of: ";") ?? after.endIndex
                parsed = after[..<end].trimmingCharacters(in: [" ", "\t"])
                after = after[end...]
            }
            if key == wanted { return parsed }
            rest = after
        }
        return nil
    }

    /// The start of the first occurrence of `needle` in `haystack` at or after `from`.
    private static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard from <= haystack.count else { return nil }
        return find(needle, in: haystack[from...])
    }

    private static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard let head = needle.first, haystack.count >= needle.count else { return nil }
        var index = haystack.startIndex
        let last = haystack.endIndex - needle.count
        while index <= last {
            guard let candidate = haystack[index...last].firstIndex(of: head) else { return nil }
            if haystack[candidate..<candidate + needle.count].elementsEqual(needle) { return candidate }
            index = candidate + 1
        }
        return nil
    }
}
