import CCurl
import Foundation
import Synchronization
import SwitchyardCore

/// One transfer's buffers and libcurl handle. Owned by the driver thread once queued.
final class CurlTransfer: @unchecked Sendable {
    let request: HTTPRequest
    let cancelRequested = Atomic<Bool>(false)
    var continuation: CheckedContinuation<HTTPTransferResult, Never>?
    /// For transfers started with `CurlEngine.start`: called instead of a continuation.
    var onFinish: (@Sendable (HTTPTransferResult) -> Void)?
    /// Whether the streaming reader has been given the head.
    private var headSent = false
    private(set) var easy: UnsafeMutableRawPointer?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
    fileprivate var body: [UInt8] = []
    fileprivate var bodyTooLarge = false
    fileprivate var bytesReceived = 0
    fileprivate var startedAt = ContinuousClock.now
    /// When the last byte of the response (head or body) arrived; nil until the first. Kept only
    /// for requests with an idle timeout (the only reader), which saves reading the clock per chunk.
    fileprivate(set) var lastActivity: ContinuousClock.Instant?

    init(request: HTTPRequest) {
        self.request = request
        errorBuffer.initialize(to: 0)
    }

    deinit {
        if let easy { curl_easy_cleanup(easy) }
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// Gives up the handle once its result is read, reset so that it points at nothing of
    /// this transfer (buffers, callbacks, headers); nil if it had none.
    func releaseHandle() -> UnsafeMutableRawPointer? {
        guard let handle = easy else { return nil }
        curl_easy_reset(handle)
        easy = nil
        return handle
    }

    func finish(_ result: HTTPTransferResult) {
        continuation?.resume(returning: result)
        continuation = nil
        onFinish?(result)
        onFinish = nil
    }

    /// A paused transfer goes on: its idle timeout counts from now (a slow reader is no stall).
    func markActive() {
        if request.idleTimeoutSeconds != nil { lastActivity = .now }
    }

    /// Sets up `reused` (a pooled handle, already reset) or a new handle for this request.
    func makeEasyHandle(reusing reused: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
        guard let easy = reused ?? curl_easy_init() else { return nil }
        self.easy = easy
        startedAt = ContinuousClock.now
        if request.idleFromStart { lastActivity = startedAt }
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = sy_easy_setopt_string(easy, CURLOPT_URL, request.url)
        if let socket = request.unixSocketPath { _ = sy_easy_setopt_string(easy, CURLOPT_UNIX_SOCKET_PATH, socket) }
        _ = sy_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = sy_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(request.connectTimeoutSeconds))
        _ = sy_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, milliseconds(request.timeoutSeconds))
        _ = sy_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0)
        _ = sy_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = sy_easy_setopt_string(easy, CURLOPT_ACCEPT_ENCODING, "")
        _ = sy_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer))
        _ = sy_easy_setopt_pointer(easy, CURLOPT_PRIVATE, me)
        _ = sy_easy_setopt_write_function(easy, curlWriteBody)
        _ = sy_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me)
        if request.idleTimeoutSeconds != nil {
            // Headers are read from libcurl's store (`CurlResponseHeaders`); this callback only
            // notes that bytes arrive, for the idle timeout.
            _ = sy_easy_setopt_header_function(easy, curlHeaderArrived)
            _ = sy_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me)
        }
        for line in request.headers { headerList = curl_slist_append(headerList, line) }
        if request.method != .get {
            if request.method == .put { _ = sy_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, "PUT") }
            // The request's builder says its content type (JSON, a form with its boundary); without
            // one, none is sent (`Content-Type:` takes out libcurl's own form-urlencoded default).
            if !request.headers.contains(where: { $0.utf8.count >= 13 && $0.prefix(13).lowercased() == "content-type:" }) {
                headerList = curl_slist_append(headerList, "Content-Type:")
            }
            // The body is all in memory: libcurl's `Expect: 100-continue` (for bodies over 1 MiB) would
            // only add a round trip, or a whole second against a server that never says 100.
            headerList = curl_slist_append(headerList, "Expect:")
            let payload = request.body ?? []
            _ = sy_easy_setopt_long(easy, CURLOPT_POSTFIELDSIZE, payload.count)
            payload.withUnsafeBufferPointer { buffer in
                _ = sy_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!))
            }
        }
        if let headerList { _ = sy_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList) }
        return easy
    }

    func collectResult(failure: TransferFailure?) -> HTTPTransferResult {
        guard let easy else { return HTTPTransferResult(failure: failure) }
        var status = 0
        _ = sy_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        let timings = PhaseTimings(
            dns: seconds(easy, CURLINFO_NAMELOOKUP_TIME_T),
            connect: seconds(easy, CURLINFO_CONNECT_TIME_T),
            tls: seconds(easy, CURLINFO_APPCONNECT_TIME_T),
            firstByte: seconds(easy, CURLINFO_STARTTRANSFER_TIME_T),
            total: seconds(easy, CURLINFO_TOTAL_TIME_T)
        )
        var resolved = failure
        if bodyTooLarge {
            resolved = .bodyTooLarge
        } else if case .curl(let code, _) = failure {
            let detail = String(cString: errorBuffer)
            let fallback = String(cString: curl_easy_strerror(CURLcode(UInt32(code))))
            resolved = .curl(code: code, message: detail.isEmpty ? fallback : detail)
        }
        return HTTPTransferResult(status: status, headers: CurlResponseHeaders.read(request.responseHeaderNames, from: easy), body: body, bytesReceived: bytesReceived, timings: timings, failure: resolved)
    }

    /// What the write callback answers: accepted, refused (abort), or paused.
    fileprivate enum Accept { case taken, refused, paused }

    fileprivate func appendBody(_ bytes: UnsafeBufferPointer<UInt8>) -> Accept {
        guard bytesReceived + bytes.count <= request.maxBodyBytes else {
            bodyTooLarge = true
            return .refused
        }
        if let stream = request.responseStream {
            if !headSent, let easy {
                headSent = true
                var status = 0
                _ = sy_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
                stream.head(status: status, headers: CurlResponseHeaders.read(request.responseHeaderNames, from: easy), elapsedSeconds: elapsedSeconds())
            }
            guard stream.offer(bytes) else {
                lastActivity = nil  // paused: the idle timeout waits for the reader
                return .paused
            }
            bytesReceived += bytes.count
            if request.idleTimeoutSeconds != nil { lastActivity = .now }
            return .taken
        }
        bytesReceived += bytes.count
        if request.idleTimeoutSeconds != nil { lastActivity = .now }
        if let consumer = request.bodyConsumer {
            consumer.receive(Array(bytes), elapsedSeconds: elapsedSeconds())
        } else {
            body.append(contentsOf: bytes)
        }
        return .taken
    }

    private func elapsedSeconds() -> Double {
        let elapsed = ContinuousClock.now - startedAt
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// A header line arrived: the response is not idle.
    fileprivate func headerArrived() {
        lastActivity = .now
    }
}

private func milliseconds(_ seconds: Double) -> Int { max(1, Int((seconds * 1000).rounded())) }

private func seconds(_ easy: UnsafeMutableRawPointer, _ info: CURLINFO) -> Double {
    var micros: curl_off_t = 0
    _ = sy_easy_getinfo_off_t(easy, info, &micros)
    return Double(micros) / 1_000_000
}

private let curlWriteBody: sy_write_callback = { data, size, count, context in
    guard let data, let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: length)
    switch transfer.appendBody(bytes) {
    case .taken: return length
    case .refused: return 0
    case .paused: return 0x1000_0001  // CURL_WRITEFUNC_PAUSE: libcurl keeps the chunk and offers it again
    }
}

private let curlHeaderArrived: sy_write_callback = { _, size, count, context in
    guard let context else { return 0 }
    Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue().headerArrived()
    return size * count
}
