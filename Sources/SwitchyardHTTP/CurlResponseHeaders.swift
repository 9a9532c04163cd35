import CCurl
import Glibc

/// Reads a response's headers from libcurl's own store (`curl_easy_nextheader`, libcurl 7.83 and
/// later) instead of parsing header lines as they arrive: libcurl keeps them anyway.
enum CurlResponseHeaders {
    /// The headers of the last response on `easy` (interim 1xx responses, trailers and proxy
    /// CONNECT headers left out), names lower-cased; of a repeated name the last value wins.
    /// Empty before any header arrived.
    static func read(from easy: UnsafeMutableRawPointer) -> [String: String] {
        // Room for a usual response's headers from the start, instead of growing three times.
        var headers = [String: String](minimumCapacity: 8)
        var previous: UnsafeMutablePointer<curl_header>?
        while let header = curl_easy_nextheader(easy, UInt32(CURLH_HEADER), -1, previous) {
            headers[lowercased(header.pointee.name)] = String(cString: header.pointee.value)
            previous = header
        }
        return headers
    }

    /// Only the headers called `names` (lower-case), as `read(from:)` gives them: each looked up
    /// in libcurl's store (`curl_easy_header`) instead of copying every header into a dictionary.
    static func read(_ names: [String], from easy: UnsafeMutableRawPointer) -> [String: String] {
        var headers: [String: String] = [:]
        for name in names {
            var found: UnsafeMutablePointer<curl_header>?
            guard curl_easy_header(easy, name, 0, UInt32(CURLH_HEADER), -1, &found) == CURLHE_OK, var header = found else { continue }
            // Of a repeated name the last value wins, as in `read(from:)`.
            let amount = header.pointee.amount
            if amount > 1 {
                guard curl_easy_header(easy, name, amount - 1, UInt32(CURLH_HEADER), -1, &found) == CURLHE_OK, let last = found else { continue }
                header = last
            }
            headers[name] = String(cString: header.pointee.value)
        }
        return headers
    }

    /// Every header, or only those called `names` when given.
    static func read(_ names: [String]?, from easy: UnsafeMutableRawPointer) -> [String: String] {
        if let names { read(names, from: easy) } else { read(from: easy) }
    }

    /// ASCII lower case written straight into the string's storage (header names are ASCII).
    private static func lowercased(_ name: UnsafePointer<CChar>) -> String {
        let length = strlen(name)
        return name.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
            String(unsafeUninitializedCapacity: length) { storage in
                for index in 0..<length {
                    let byte = bytes[index]
                    storage[index] = byte >= 65 && byte <= 90 ? byte + 32 : byte
                }
                return length
            }
        }
    }
}
