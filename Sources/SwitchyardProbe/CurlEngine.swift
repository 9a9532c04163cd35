import CCurl
import Foundation
import Synchronization
import SwitchyardCore

/// Runs every HTTP transfer of the daemon on one libcurl multi handle, driven by one
/// dedicated thread: thousands of concurrent probes cost one thread and a shared
/// connection cache. All unsafe libcurl handling lives in this file.
///
/// The same thread is also a `TaskExecutor`: probe tasks that prefer it run their code
/// between libcurl's calls, so starting a transfer and resuming on its result cost no
/// thread hand-over (see `CurlEngine+Executor.swift`).
public final class CurlEngine: HTTPTransport, @unchecked Sendable {
    // @unchecked: `multi` and `active` are touched only by the driver thread; the
    // inbox is the one shared piece and is behind a Mutex.
    struct Inbox {
        var added: [CurlTransfer] = []
        var canceled: [CurlTransfer] = []
        /// Paused streaming transfers whose reader has room again.
        var resumed: [CurlTransfer] = []
        /// Jobs of tasks that prefer this engine as their executor.
        var jobs: [UnownedJob] = []
        /// Timers waiting for their deadline (`schedule(at:_:)`).
        var timers: [EngineTimer] = []
        /// The id of the last timer set, so each gets its own (`cancelTimer(_:)`).
        var lastTimerID: UInt64 = 0
        var shuttingDown = false
    }

    private let multi: UnsafeMutableRawPointer
    let inbox = Mutex(Inbox())
    /// The driver thread's id (`pthread_self`), so work queued from it skips the wake-up.
    let driverThread = Atomic<UInt>(0)
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    /// The active transfers that have a stream idle timeout (completion probes): few, scanned often.
    private var idleWatched: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    /// Easy handles of finished transfers, reset and kept for the next ones: as many as ran at
    /// once (up to `maxPooledHandles`), so a probe costs no handle set-up (allocation, buffers,
    /// reading the proxy environment) but its options.
    private var pooledHandles: [UnsafeMutableRawPointer] = []
    private static let maxPooledHandles = 64
    private let stopped = DispatchSemaphore(value: 0)

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// `maxHostConnections` 0 (the default) lets libcurl open as many connections per host as
    /// transfers need: the scheduler's own per-provider and global caps bound them, and a
    /// limit here would queue transfers inside libcurl with their timeouts already running.
    /// `maxIdleConnections` is how many finished connections stay open for reuse (the scheduler's
    /// global cap by default). libcurl's own default, four per transfer in progress, closed about
    /// one connection in ten between probes when only one or two run at a time.
    public init(maxHostConnections: Int = 0, maxIdleConnections: Int = 256) {
        _ = CurlEngine.globalInit
        multi = curl_multi_init()
        _ = sy_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, maxHostConnections)
        _ = sy_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maxIdleConnections)
        let thread = Thread { [self] in drive() }
        thread.name = "switchyard-curl"
        thread.start()
    }

    /// Stops the driver thread; transfers still running finish as canceled.
    public func shutdown() {
        let first = inbox.withLock { inbox -> Bool in
            defer { inbox.shuttingDown = true }
            return !inbox.shuttingDown
        }
        guard first else { return }
        curl_multi_wakeup(multi)
        stopped.wait()
    }

    deinit {
        shutdown()
        for easy in pooledHandles { curl_easy_cleanup(easy) }
        curl_multi_cleanup(multi)
    }

    public func perform(_ request: HTTPRequest) async -> HTTPTransferResult {
        let transfer = CurlTransfer(request: request)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                transfer.continuation = continuation
                if !post({ $0.added.append(transfer) }) { transfer.finish(HTTPTransferResult(failure: .canceled)) }
            }
        } onCancel: {
            transfer.cancelRequested.store(true, ordering: .relaxed)
            // Refused only while shutting down, which cancels every transfer anyway.
            _ = post { $0.canceled.append(transfer) }
        }
    }

    /// Starts a streaming transfer; `done` runs on the driver thread when it ends.
    func start(_ request: HTTPRequest, done: @escaping @Sendable (HTTPTransferResult) -> Void) -> CurlTransfer {
        let transfer = CurlTransfer(request: request)
        transfer.onFinish = done
        if !post({ $0.added.append(transfer) }) { transfer.finish(HTTPTransferResult(failure: .canceled)) }
        return transfer
    }

    /// Ends a transfer started with `start` (its `done` reports `.canceled`).
    func cancel(_ transfer: CurlTransfer) {
        transfer.cancelRequested.store(true, ordering: .relaxed)
        _ = post { $0.canceled.append(transfer) }
    }

    /// Lets a transfer paused by its `responseStream` go on.
    func resume(_ transfer: CurlTransfer) {
        _ = post { $0.resumed.append(transfer) }
    }

    // MARK: - Driver thread

    /// Puts work in the inbox and wakes the driver thread for it; false (and nothing posted)
    /// once the engine is shutting down.
    func post(_ work: (inout Inbox) -> Void) -> Bool {
        let accepted = inbox.withLock { inbox -> Bool in
            guard !inbox.shuttingDown else { return false }
            work(&inbox)
            return true
        }
        if accepted { wakeUnlessOnDriverThread() }
        return accepted
    }

    /// Wakes the driver thread from `curl_multi_poll`; not needed when already on it (it looks
    /// at the inbox again before it polls).
    func wakeUnlessOnDriverThread() {
        if pthread_self() != driverThread.load(ordering: .relaxed) { curl_multi_wakeup(multi) }
    }

    private func drive() {
        driverThread.store(pthread_self(), ordering: .relaxed)
        var running: Int32 = 0
        // The inbox's lists are swapped with these (emptied after each turn), so taking the work
        // allocates nothing.
        var added: [CurlTransfer] = []
        var canceled: [CurlTransfer] = []
        var resumed: [CurlTransfer] = []
        var jobs: [UnownedJob] = []
        while true {
            runJobs(&jobs)
            let shuttingDown = inbox.withLock { inbox -> Bool in
                swap(&inbox.added, &added)
                swap(&inbox.canceled, &canceled)
                swap(&inbox.resumed, &resumed)
                return inbox.shuttingDown
            }
            for transfer in added {
                if transfer.cancelRequested.load(ordering: .relaxed) || shuttingDown {
                    transfer.finish(HTTPTransferResult(failure: .canceled))
                } else if let easy = transfer.makeEasyHandle(reusing: pooledHandles.popLast()) {
                    active[easy] = transfer
                    if transfer.request.idleTimeoutSeconds != nil { idleWatched[easy] = transfer }
                    curl_multi_add_handle(multi, easy)
                } else {
                    transfer.finish(HTTPTransferResult(failure: .curl(code: Int(CURLE_FAILED_INIT.rawValue), message: "could not create a transfer")))
                }
            }
            added.removeAll(keepingCapacity: true)
            for transfer in canceled {
                guard let easy = transfer.easy, active[easy] != nil else { continue }
                complete(easy, failure: .canceled)
            }
            canceled.removeAll(keepingCapacity: true)
            for transfer in resumed {
                guard let easy = transfer.easy, active[easy] != nil else { continue }
                transfer.markActive()
                curl_easy_pause(easy, 0)  // CURLPAUSE_CONT
            }
            resumed.removeAll(keepingCapacity: true)
            if shuttingDown {
                for easy in Array(active.keys) { complete(easy, failure: .canceled) }
                _ = fireTimers(at: nil)
                handOverJobs()
                stopped.signal()
                return
            }
            curl_multi_perform(multi, &running)
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                let code = message.pointee.data.result
                complete(easy, failure: code == CURLE_OK ? nil : .curl(code: Int(code.rawValue), message: ""))
            }
            expireIdleTransfers()
            let (pending, nextTimer) = fireTimers(at: ContinuousClock.now)
            // Tasks resumed above, or transfers they started, run before any wait: the loop goes
            // round again without a poll (curl_multi_perform above still runs every turn).
            if pending { continue }
            // Idle timeouts are ours, not libcurl's: wake up often enough to enforce them.
            var timeout: Int32 = idleWatched.isEmpty ? 1000 : 25
            if let nextTimer { timeout = min(timeout, CurlEngine.milliseconds(until: nextTimer)) }
            curl_multi_poll(multi, nil, 0, timeout, nil)
        }
    }

    /// Ends every transfer whose response began and then went silent for its idle timeout.
    /// (libcurl's low-speed limit averages over seconds and cannot say "no byte for 1 s".)
    private func expireIdleTransfers() {
        guard !idleWatched.isEmpty else { return }
        let now = ContinuousClock.now
        for (easy, transfer) in idleWatched {
            guard let idle = transfer.request.idleTimeoutSeconds, let last = transfer.lastActivity,
                  now - last >= .milliseconds(Int64(idle * 1000)) else { continue }
            complete(easy, failure: .idle(seconds: idle))
        }
    }

    /// Detaches a finished (or canceled) transfer and resumes its caller.
    private func complete(_ easy: UnsafeMutableRawPointer, failure: TransferFailure?) {
        idleWatched.removeValue(forKey: easy)
        guard let transfer = active.removeValue(forKey: easy) else { return }
        curl_multi_remove_handle(multi, easy)
        let result = transfer.collectResult(failure: failure)
        if let handle = transfer.releaseHandle() {
            if pooledHandles.count < CurlEngine.maxPooledHandles { pooledHandles.append(handle) } else { curl_easy_cleanup(handle) }
        }
        transfer.finish(result)
    }
}

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
    /// Room for a usual response's headers from the start, instead of growing three times.
    fileprivate var headers = [String: String](minimumCapacity: 8)
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
        _ = sy_easy_setopt_header_function(easy, curlWriteHeader)
        _ = sy_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me)
        for line in request.headers { headerList = curl_slist_append(headerList, line) }
        if request.method != .get {
            if request.method == .put { _ = sy_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, "PUT") }
            headerList = curl_slist_append(headerList, "Content-Type: application/json")
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
        return HTTPTransferResult(status: status, headers: headers, body: body, bytesReceived: bytesReceived, timings: timings, failure: resolved)
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
                stream.head(status: status, headers: headers, elapsedSeconds: elapsedSeconds())
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

    fileprivate func appendHeader(_ bytes: UnsafeBufferPointer<UInt8>) {
        if request.idleTimeoutSeconds != nil { lastActivity = .now }
        // Byte-level parsing: this runs for every header line of every probe.
        if bytes.starts(with: Self.statusLinePrefix) {  // a new response (after 100-continue)
            headers.removeAll(keepingCapacity: true)
            return
        }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return }
        // Lower-cased straight into the string's storage (a lazy map would be decoded through a generic, dynamically cast path).
        let name = String(unsafeUninitializedCapacity: colon) { name in
            for index in 0..<colon {
                let byte = bytes[index]
                name[index] = byte >= 65 && byte <= 90 ? byte + 32 : byte
            }
            return colon
        }
        var start = colon + 1
        var end = bytes.endIndex
        while start < end, bytes[start] == 32 || bytes[start] == 9 { start += 1 }
        while end > start, bytes[end - 1] <= 32 { end -= 1 }  // CR, LF, space, tab
        headers[name] = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    private static let statusLinePrefix = Array("HTTP/".utf8)
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

private let curlWriteHeader: sy_write_callback = { data, size, count, context in
    guard let data, let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    transfer.appendHeader(UnsafeBufferPointer(start: UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: length))
    return length
}
