import CCurl
import Foundation
import SwitchyardCore

/// The libcurl multi handle and the transfers on it: adds, cancels, resumes and completes them,
/// polls for their sockets and enforces their idle timeouts. Touched only by the engine's driver
/// thread (`CurlEngine.drive`), so it needs no lock.
final class CurlMultiDriver {
    private let multi: UnsafeMutableRawPointer
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    /// The active transfers that have a stream idle timeout (completion probes): few, scanned often.
    private var idleWatched: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    private var pool = CurlHandlePool()
    /// Scratch for `curl_multi_perform`'s count of running transfers.
    private var running: Int32 = 0

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// See `CurlEngine.init` for the two limits.
    init(maxHostConnections: Int, maxIdleConnections: Int) {
        _ = Self.globalInit
        multi = curl_multi_init()
        _ = sy_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, maxHostConnections)
        _ = sy_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maxIdleConnections)
    }

    deinit {
        curl_multi_cleanup(multi)
    }

    /// Starts `transfer`, or finishes it at once when it was canceled before it began or no
    /// handle could be made.
    func add(_ transfer: CurlTransfer) {
        if transfer.cancelRequested.load(ordering: .relaxed) {
            transfer.finish(HTTPTransferResult(failure: .canceled))
        } else if let easy = transfer.makeEasyHandle(reusing: pool.take()) {
            active[easy] = transfer
            if transfer.request.idleTimeoutSeconds != nil { idleWatched[easy] = transfer }
            curl_multi_add_handle(multi, easy)
        } else {
            transfer.finish(HTTPTransferResult(failure: .curl(code: Int(CURLE_FAILED_INIT.rawValue), message: "could not create a transfer")))
        }
    }

    /// Ends a running transfer as canceled; nothing when it already ended.
    func cancel(_ transfer: CurlTransfer) {
        guard let easy = transfer.easy, active[easy] != nil else { return }
        complete(easy, failure: .canceled)
    }

    /// Lets a transfer paused by its reader go on.
    func resume(_ transfer: CurlTransfer) {
        guard let easy = transfer.easy, active[easy] != nil else { return }
        transfer.markActive()
        curl_easy_pause(easy, 0)  // CURLPAUSE_CONT
    }

    /// Ends every running transfer as canceled (shutdown).
    func cancelAll() {
        for easy in Array(active.keys) { complete(easy, failure: .canceled) }
    }

    /// Moves every transfer along as far as its sockets allow and completes those that ended.
    func perform() {
        curl_multi_perform(multi, &running)
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            complete(easy, failure: code == CURLE_OK ? nil : .curl(code: Int(code.rawValue), message: ""))
        }
        expireIdleTransfers()
    }

    /// Waits until a socket is ready, `wakeUp` is called, or `timeoutMilliseconds` pass. Idle timeouts
    /// are ours, not libcurl's: while any transfer has one, the wait is short enough to enforce it.
    func poll(timeoutMilliseconds: Int32) {
        let timeout = idleWatched.isEmpty ? timeoutMilliseconds : min(timeoutMilliseconds, 25)
        curl_multi_poll(multi, nil, 0, timeout, nil)
    }

    /// Ends the driver thread's `poll` early; callable from any thread.
    func wakeUp() {
        curl_multi_wakeup(multi)
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

    /// Detaches a finished (or canceled) transfer, pools its handle and resumes its caller.
    private func complete(_ easy: UnsafeMutableRawPointer, failure: TransferFailure?) {
        idleWatched.removeValue(forKey: easy)
        guard let transfer = active.removeValue(forKey: easy) else { return }
        curl_multi_remove_handle(multi, easy)
        let result = transfer.collectResult(failure: failure)
        if let handle = transfer.releaseHandle() { pool.giveBack(handle) }
        transfer.finish(result)
    }
}
