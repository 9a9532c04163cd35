import Foundation

/// Where the load goes: a TCP address or a Unix socket path.
enum BenchEndpoint: CustomStringConvertible {
    case tcp(host: String, port: UInt16)
    case unix(path: String)

    var description: String {
        switch self {
        case .tcp(let host, let port): "tcp \(host):\(port)"
        case .unix(let path): "unix \(path)"
        }
    }
}

/// One HTTP/1.1 keep-alive connection with plain POSIX sockets: sends a request, reads
/// one response (headers, then `Content-Length` bytes or chunks of body), and is ready for the next.
/// All of it is blocking; each connection lives on its own thread.
final class KeepAliveConnection {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    /// Bytes of `buffer` already read but not yet consumed.
    private var filled = 0
    /// When the last `exchange` had the first byte of its body (monotonic ns; for a chunked
    /// stream, when its first non-empty chunk was complete): the time to first token.
    private(set) var firstBodyAt: UInt64 = 0

    init(_ endpoint: BenchEndpoint) throws {
        switch endpoint {
        case .tcp(let host, let port):
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw Failure(description: "not an IPv4 address: \(host)") }
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard result == 0 else { close(fd); throw Failure(description: "connect \(endpoint): errno \(errno)") }
        case .unix(let path):
            fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw Failure(description: "socket path too long: \(path)") }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                raw.copyBytes(from: bytes)
                raw[bytes.count] = 0
            }
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard result == 0 else { close(fd); throw Failure(description: "connect \(endpoint): errno \(errno)") }
        }
    }

    deinit { close(fd) }

    /// Sends `request` (a whole HTTP/1.1 request) and reads the answer; returns its status code.
    func exchange(_ request: [UInt8]) throws -> Int {
        try exchange(request, keepBody: false).status
    }

    /// Sends `request` and reads the answer, `Content-Length` or chunked; the body when `keepBody`.
    func exchange(_ request: [UInt8], keepBody: Bool) throws -> (status: Int, body: [UInt8]) {
        var sent = 0
        while sent < request.count {
            let n = request.withUnsafeBytes { send(fd, $0.baseAddress! + sent, request.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send: errno \(errno)") }
            sent += n
        }
        // Headers: read until the blank line.
        let headerEnd = try readThrough { findCRLFCRLF() }
        let (status, length) = try parseHead(upTo: headerEnd)
        consume(headerEnd)
        var body: [UInt8] = []
        firstBodyAt = 0
        if let length {
            if length > 0 {
                if filled == 0 { try fill() }
                firstBodyAt = monotonicNanoseconds()
            }
            while filled < length { try fill() }
            if keepBody { body = Array(buffer[0..<length]) }
            consume(length)
        } else {
            // Chunked: hex size line, data, CRLF; a zero size ends it (no trailers from our server).
            while true {
                let lineEnd = try readThrough { findCRLF() }
                let sizeText = String(decoding: buffer[0..<(lineEnd - 2)], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                    throw Failure(description: "bad chunk size line: \(sizeText.prefix(40))")
                }
                consume(lineEnd)
                while filled < size + 2 { try fill() }
                if size > 0, firstBodyAt == 0 { firstBodyAt = monotonicNanoseconds() }
                if keepBody { body += buffer[0..<size] }
                consume(size + 2)
                if size == 0 { break }
            }
        }
        return (status, body)
    }

    /// Reads until `find` sees what it looks for; the index just past it.
    private func readThrough(_ find: () -> Int?) throws -> Int {
        while true {
            if let end = find() { return end }
            try fill()
        }
    }

    /// Drops the first `count` read bytes, keeping any that follow.
    private func consume(_ count: Int) {
        if filled > count {
            buffer.withUnsafeMutableBytes { raw in
                raw.baseAddress!.copyMemory(from: raw.baseAddress! + count, byteCount: filled - count)
            }
        }
        filled -= count
    }

    /// The index just past the first `\r\n`, if one was read.
    private func findCRLF() -> Int? {
        guard filled >= 2 else { return nil }
        for i in 0...(filled - 2) where buffer[i] == 13 && buffer[i + 1] == 10 { return i + 2 }
        return nil
    }

    private func fill() throws {
        if filled == buffer.count { buffer += [UInt8](repeating: 0, count: buffer.count) }
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + filled, $0.count - filled, 0) }
        guard n > 0 else { throw Failure(description: n == 0 ? "the server closed the connection" : "recv: errno \(errno)") }
        filled += n
    }

    /// The index just past `\r\n\r\n`, if the headers are complete.
    private func findCRLFCRLF() -> Int? {
        guard filled >= 4 else { return nil }
        for i in 0...(filled - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i + 4
        }
        return nil
    }

    /// Status code and Content-Length of the response head (nil when chunked).
    private func parseHead(upTo end: Int) throws -> (Int, Int?) {
        let head = String(decoding: buffer[0..<end], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1.1 "),
              let status = Int(statusLine.dropFirst(9).prefix(3)) else {
            throw Failure(description: "not an HTTP/1.1 response: \(head.prefix(80))")
        }
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length",
               let length = Int(parts[1].trimmingCharacters(in: .whitespaces)) {
                return (status, length)
            }
            if parts.count == 2, parts[0].lowercased() == "transfer-encoding", parts[1].lowercased().contains("chunked") {
                return (status, nil)
            }
        }
        throw Failure(description: "response without Content-Length or chunked encoding: \(head.prefix(200))")
    }
}
