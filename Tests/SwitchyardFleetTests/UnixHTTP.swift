import Foundation

/// A blocking HTTP/1.1 GET over a Unix socket, one connection per call (`Connection: close`):
/// cheap enough to poll a host every few milliseconds, where spawning curl would not be.
enum UnixHTTP {
    struct Answer {
        var status: Int
        var body: String
    }

    /// GETs `path` from the server on `socketPath`; status 0 when it did not answer within `timeout` seconds.
    static func get(_ socketPath: String, _ path: String, timeout: Double = 2) -> Answer {
        request(socketPath, "GET", path, timeout: timeout)
    }

    /// `method` on `path` with a JSON `body`, if any.
    static func request(_ socketPath: String, _ method: String, _ path: String, json body: String? = nil, timeout: Double = 2) -> Answer {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return Answer(status: 0, body: "socket: \(errno)") }
        defer { close(fd) }
        var wait = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return Answer(status: 0, body: "path too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in pathBytes.enumerated() { raw[index] = byte }
            raw[pathBytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { return Answer(status: 0, body: "connect: \(errno)") }
        let payload = Array((body ?? "").utf8)
        let requestHead = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            + (body == nil ? "" : "Content-Type: application/json\r\nContent-Length: \(payload.count)\r\n") + "\r\n"
        let request = Array(requestHead.utf8) + payload
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
            return Answer(status: 0, body: "send: \(errno)")
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            received.append(contentsOf: buffer[0..<count])
        }
        let text = String(decoding: received, as: UTF8.self)
        guard let headEnd = text.range(of: "\r\n\r\n") else { return Answer(status: 0, body: text) }
        let statusLine = text[..<headEnd.lowerBound].split(separator: "\r\n").first ?? ""
        let status = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        let head = text[..<headEnd.lowerBound].lowercased()
        var body = String(text[headEnd.upperBound...])
        if head.contains("transfer-encoding: chunked") { body = dechunk(body) }
        return Answer(status: status, body: body)
    }

    /// The body of a chunked answer.
    private static func dechunk(_ text: String) -> String {
        var rest = Substring(text)
        var body = ""
        while let lineEnd = rest.range(of: "\r\n"), let size = Int(rest[..<lineEnd.lowerBound].split(separator: ";").first ?? "", radix: 16), size > 0 {
            let start = lineEnd.upperBound
            let bytes = Array(rest[start...].utf8)
            guard bytes.count >= size else { break }
            body += String(decoding: bytes[0..<size], as: UTF8.self)
            rest = Substring(String(decoding: bytes[size...], as: UTF8.self)).dropFirst(2)
        }
        return body
    }
}
