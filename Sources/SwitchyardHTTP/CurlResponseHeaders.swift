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
