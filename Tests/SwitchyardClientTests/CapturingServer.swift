import Foundation
import Glibc
import Synchronization

/// A loopback HTTP/1.1 server that records every request (headers and body) and answers it as
/// `answer` says, one connection at a time, each closed after its answer: what a client really
/// puts on the wire, seen from the other end.
final class CapturingServer: Sendable {
    struct Seen: Sendable {
        var method: String
        var path: String
        /// Lower-case names.
        var headers: [String: String]
        var body: Data

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    }

    enum Answer: Sendable {
        case json(status: Int, body: String)
        /// Take the request, then break the connection before the answer is complete.
        case cutMidAnswer
    }

    private let listener: Int32
    let host: String
    let port: Int
    private let seen = Mutex<[Seen]>([])
    private let answer: @Sendable (Seen) -> Answer

    init(host: String = "127.0.0.1", answer: @escaping @Sendable (Seen) -> Answer) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        inet_pton(AF_INET, host, &address.sin_addr)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        listener = fd
        self.host = host
        port = Int(UInt16(bigEndian: address.sin_port))
        self.answer = answer
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    var url: String { "http://\(host):\(port)" }
    var requests: [Seen] { seen.withLock { $0 } }
    func requests(to pathPart: String) -> [Seen] { requests.filter { $0.path.contains(pathPart) } }

    /// Stops accepting; the serving thread ends and closes the listener. (Closed here, its
    /// descriptor number could be reused by the next test's server while this thread still
    /// waits in `accept` on it, and answer that server's requests with this one's answers.)
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func serve() {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else {
                close(listener)
                return
            }
            if let request = Self.read(connection) {
                seen.withLock { $0.append(request) }
                switch answer(request) {
                case .json(let status, let body):
                    Self.write(connection, "HTTP/1.1 \(status) X\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
                case .cutMidAnswer:
                    Self.write(connection, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"acc")
                }
            }
            close(connection)
        }
    }

    private static func read(_ connection: Int32) -> Seen? {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let separator = Data("\r\n\r\n".utf8)
        while true {
            if let end = data.range(of: separator) {
                let head = String(decoding: data[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
                let requestLine = head[0].split(separator: " ")
                guard requestLine.count >= 2 else { return nil }
                var headers: [String: String] = [:]
                for line in head.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                let length = Int(headers["content-length"] ?? "0") ?? 0
                while data.count - end.upperBound < length {
                    let count = recv(connection, &buffer, buffer.count, 0)
                    guard count > 0 else { return nil }
                    data.append(contentsOf: buffer[0..<count])
                }
                return Seen(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers,
                            body: data[end.upperBound..<(end.upperBound + length)])
            }
            let count = recv(connection, &buffer, buffer.count, 0)
            guard count > 0 else { return nil }
            data.append(contentsOf: buffer[0..<count])
        }
    }

    private static func write(_ connection: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { send(connection, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return }
            sent += count
        }
    }
}
