import CCurl
import Foundation
import Synchronization
import SwitchyardCore

/// Runs every HTTP transfer of the daemon on one libcurl multi handle, driven by one
/// dedicated thread: thousands of concurrent probes cost one thread and a shared
/// connection cache. All unsafe libcurl handling lives in this file and `CurlTransfer.swift`.
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
