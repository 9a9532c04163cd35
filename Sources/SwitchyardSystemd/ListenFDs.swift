import CSystemd
#if canImport(Glibc)
import Glibc
#endif

/// Listening sockets passed by systemd socket activation (`LISTEN_FDS`, `LISTEN_FDNAMES`,
/// from `switchyard.socket`), sorted into the daemon's two listeners. Empty without
/// activation, so the daemon binds its configured addresses itself.
public struct InheritedListeners: Sendable {
    /// A listening TCP socket (an AF_INET/AF_INET6 stream socket; `FileDescriptorName=tcp`).
    public var tcp: Int32?
    /// A listening Unix stream socket (`FileDescriptorName=unix`).
    public var unix: Int32?
    /// Descriptors that are neither; the daemon closes them and says so.
    public var unusable: [(fd: Int32, name: String)] = []

    public init(tcp: Int32? = nil, unix: Int32? = nil) {
        self.tcp = tcp
        self.unix = unix
    }

    /// Takes the descriptors systemd passed to this process (once: the environment variables
    /// are removed so children do not inherit them) and marks them close-on-exec.
    public static func take() -> InheritedListeners {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(1, &names)
        guard count > 0 else { return InheritedListeners() }
        defer {
            for index in 0..<Int(count) { free(names?[index]) }
            free(names)
        }
        var listeners = InheritedListeners()
        let start = switchyard_listen_fds_start()
        for index in 0..<Int(count) {
            let fd = start + Int32(index)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            let name = names?[index].map { String(cString: $0) } ?? ""
            let isUnix = sd_is_socket_unix(fd, Int32(SOCK_STREAM.rawValue), 1, nil, 0) > 0
            let isInet = sd_is_socket_inet(fd, Int32(AF_UNSPEC), Int32(SOCK_STREAM.rawValue), 1, 0) > 0
            // The socket's type decides; the name (`FileDescriptorName=`) only labels messages.
            if isUnix, listeners.unix == nil {
                listeners.unix = fd
            } else if isInet, listeners.tcp == nil {
                listeners.tcp = fd
            } else {
                listeners.unusable.append((fd, name.isEmpty ? "fd \(fd)" : name))
            }
        }
        return listeners
    }
}
