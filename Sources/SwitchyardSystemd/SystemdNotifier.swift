import CSystemd
#if canImport(Glibc)
import Glibc
#endif

/// Tells systemd about the daemon's life (`Type=notify`). Every call is a no-op when
/// `NOTIFY_SOCKET` is unset, i.e. outside systemd.
public struct SystemdNotifier: Sendable {
    public init() {}

    /// `READY=1`: config loaded, state ready and listeners accepting.
    public func ready(status: String) { send("READY=1\nSTATUS=\(oneLine(status))") }

    /// `STATUS=`: a one-line summary shown by `systemctl status`.
    public func status(_ text: String) { send("STATUS=\(oneLine(text))") }

    /// `RELOADING=1` with the `MONOTONIC_USEC` systemd needs to match it to the `READY=1` that ends the reload.
    public func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        send("RELOADING=1\nMONOTONIC_USEC=\(UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000)")
    }

    /// `EXTEND_TIMEOUT_USEC=`: start-up is slow but alive (a long migration); systemd waits this
    /// much longer from now instead of killing the service at `TimeoutStartSec=`.
    public func extendTimeout(by duration: Duration, status: String) {
        let usec = duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
        send("EXTEND_TIMEOUT_USEC=\(usec)\nSTATUS=\(oneLine(status))")
    }

    /// `STOPPING=1`: shutdown has begun.
    public func stopping() { send("STOPPING=1") }

    /// `WATCHDOG=1`: the daemon is making progress.
    public func watchdog() { send("WATCHDOG=1") }

    /// The watchdog timeout systemd set for this process (`WatchdogSec=`), nil when disabled.
    public var watchdogTimeout: Duration? {
        let usec = switchyard_watchdog_usec()
        return usec > 0 ? .microseconds(Int64(usec)) : nil
    }

    private func send(_ state: String) {
        _ = switchyard_sd_notify(0, state)
    }

    private func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}
