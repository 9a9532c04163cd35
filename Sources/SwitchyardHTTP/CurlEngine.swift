import CCurl
import Foundation
import Synchronization
import SwitchyardCore

/// Runs every HTTP transfer of the daemon on one libcurl multi handle, driven by one
/// dedicated thread: thousands of concurrent probes cost one thread and a shared
/// connection cache. The thread starts with `start()` and ends with `shutdown()`; work posted
/// before `start()` waits for it. The parts: `CurlMultiDriver` (the multi handle and its
/// transfers), `CurlHandlePool` (reused easy handles), `CurlTransfer` (one transfer's handle
/// and buffers) and `CurlResponseHeaders` (reading a response's headers from libcurl).
///
/// The same thread is also a `TaskExecutor`: probe tasks that prefer it run their code
/// between libcurl's calls, so starting a transfer and resuming on its result cost no
/// thread hand-over (see `CurlEngine+Executor.swift`).
public final class CurlEngine: HTTPTransport, @unchecked Sendable {
    // @unchecked: `driver` is touched only by the driver thread (or, when the thread never
    // started, by `shutdown`); the inbox is the one shared piece and is behind a Mutex.
    struct Inbox {
        var added: [CurlTransfer] = []
        var canceled: [CurlTransfer] = []
        /// Paused streaming transfers whose reader has room again.
        var resumed: [CurlTransfer] = []
        /// Jobs of tasks that prefer this engine as their executor.
        var jobs: [UnownedJob] = []
        /// Jobs of actors isolated to this engine's thread (`serialExecutor`).
        var isolatedJobs: [UnownedJob] = []
        /// Timers waiting for their deadline (`schedule(at:_:)`).
        var timers: [EngineTimer] = []
        /// The id of the last timer set, so each gets its own (`cancelTimer(_:)`).
        var lastTimerID: UInt64 = 0
        /// Whether `start()` started the driver thread.
        var started = false
        var shuttingDown = false
    }

    private let driver: CurlMultiDriver
    let inbox = Mutex(Inbox())
    /// The driver thread's id (`pthread_self`), so work queued from it skips the wake-up.
    let driverThread = Atomic<UInt>(0)
    private let stopped = DispatchSemaphore(value: 0)
    /// This thread as a serial executor, for actors that live on it (the probe scheduler).
    public let serialExecutor = CurlEngineSerialExecutor()
    /// Where isolated jobs run once the thread has stopped: one at a time, after it stopped.
    let lateJobs = DispatchQueue(label: "switchyard-curl-late", attributes: .initiallyInactive)

    /// `maxHostConnections` 0 (the default) lets libcurl open as many connections per host as
    /// transfers need: the scheduler's own per-provider and global caps bound them, and a
    /// limit here would queue transfers inside libcurl with their timeouts already running.
    /// `maxIdleConnections` is how many finished connections stay open for reuse (the scheduler's
    /// global cap by default). libcurl's own default, four per transfer in progress, closed about
    /// one connection in ten between probes when only one or two run at a time.
    /// No thread runs until `start()`.
    public init(maxHostConnections: Int = 0, maxIdleConnections: Int = 256) {
        driver = CurlMultiDriver(maxHostConnections: maxHostConnections, maxIdleConnections: maxIdleConnections)
        serialExecutor.engine = self
    }

    /// Starts the driver thread, which runs the transfers, jobs and timers posted so far and from
    /// now on. Only the first call does anything, and none after `shutdown()`.
    public func start() {
        let first = inbox.withLock { inbox -> Bool in
            guard !inbox.started, !inbox.shuttingDown else { return false }
            inbox.started = true
            return true
        }
        guard first else { return }
        // The thread holds the engine until `shutdown()` ends it.
        let thread = Thread { [self] in drive() }
        thread.name = "switchyard-curl"
        thread.start()
    }

    /// Stops the driver thread (when started); transfers still running or queued finish as
    /// canceled, timers fire and queued jobs go to the global executor.
    public func shutdown() {
        let (first, started) = inbox.withLock { inbox -> (Bool, Bool) in
            defer { inbox.shuttingDown = true }
            return (!inbox.shuttingDown, inbox.started)
        }
        guard first else { return }
        if started {
            driver.wakeUp()
            stopped.wait()
        } else {
            // No thread will ever look at the inbox: settle what it holds here.
            var added: [CurlTransfer] = []
            inbox.withLock { swap(&$0.added, &added) }
            settleAtShutdown(added)
        }
    }

    deinit {
        shutdown()
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

    /// Performs `request` and waits for it on the calling thread, for callers that run on a Dispatch
    /// thread of their own; never from the engine's thread or Swift's cooperative pool.
    public func performWaiting(_ request: HTTPRequest) -> HTTPTransferResult {
        let result = Mutex<HTTPTransferResult?>(nil)
        let done = DispatchSemaphore(value: 0)
        _ = start(request) { finished in
            result.withLock { $0 = finished }
            done.signal()
        }
        done.wait()
        return result.withLock { $0 } ?? HTTPTransferResult(failure: .canceled)
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
        if pthread_self() != driverThread.load(ordering: .relaxed) { driver.wakeUp() }
    }

    /// The driver thread's loop: takes the posted work, runs queued jobs, moves the transfers
    /// along, fires due timers, and polls until the next of these.
    private func drive() {
        driverThread.store(pthread_self(), ordering: .relaxed)
        // The inbox's lists are swapped with these (emptied after each turn), so taking the work
        // allocates nothing.
        var added: [CurlTransfer] = []
        var canceled: [CurlTransfer] = []
        var resumed: [CurlTransfer] = []
        var jobs: [UnownedJob] = []
        var isolatedJobs: [UnownedJob] = []
        while true {
            runJobs(&jobs, &isolatedJobs)
            let shuttingDown = inbox.withLock { inbox -> Bool in
                swap(&inbox.added, &added)
                swap(&inbox.canceled, &canceled)
                swap(&inbox.resumed, &resumed)
                return inbox.shuttingDown
            }
            if shuttingDown {
                settleAtShutdown(added)
                stopped.signal()
                return
            }
            for transfer in added { driver.add(transfer) }
            added.removeAll(keepingCapacity: true)
            for transfer in canceled { driver.cancel(transfer) }
            canceled.removeAll(keepingCapacity: true)
            for transfer in resumed { driver.resume(transfer) }
            resumed.removeAll(keepingCapacity: true)
            driver.perform()
            let (pending, nextTimer) = fireTimers(at: ContinuousClock.now)
            // Tasks resumed above, or transfers they started, run before any wait: the loop goes
            // round again without a poll (`perform` above still runs every turn).
            if pending { continue }
            var timeout: Int32 = 1000
            if let nextTimer { timeout = min(timeout, CurlEngine.milliseconds(until: nextTimer)) }
            driver.poll(timeoutMilliseconds: timeout)
        }
    }

    /// At shutdown, on the driver thread (or the caller's when it never started): every transfer
    /// ends as canceled, every timer fires, and queued jobs go to the global executor.
    private func settleAtShutdown(_ added: [CurlTransfer]) {
        for transfer in added { transfer.finish(HTTPTransferResult(failure: .canceled)) }
        driver.cancelAll()
        _ = fireTimers(at: nil)
        handOverJobs()
    }
}
