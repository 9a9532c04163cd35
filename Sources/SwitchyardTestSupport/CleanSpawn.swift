import Foundation

/// Starting programs that leave daemons behind (`pg_ctl start`) or outlive their caller (a
/// watchdog), without Foundation's `Process`: a child started by `Process` inherits the
/// descriptor `Process` watches to see it end, and a daemon it leaves running would hold it,
/// so `waitUntilExit()` would wait for the daemon. Here the child gets stdin, stdout and
/// stderr only (`closefrom(3)`), and the caller waits with `waitpid`. Long-lived children of
/// tests (daemons) start this way too: started by `Process` while another test's `Process`
/// runs, they would hold that one's watched descriptor and hang its `waitUntilExit`.
public enum CleanSpawn {
    /// Starts `argv` with `stdin` (default /dev/null) as its standard input and stdout and stderr
    /// appended to `outputPath`; `newSession` makes it a session leader (no terminal signals).
    public static func start(_ argv: [String], stdin: Int32? = nil, outputPath: String, newSession: Bool = false,
                      environment: [String: String]? = nil) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdin {
            posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        guard let closeFrom = closeFrom, closeFrom(&actions, 3) == 0 else {
            throw PostgresClusterError.failed("spawn \(argv[0])", "posix_spawn_file_actions_addclosefrom_np (glibc 2.34+) is missing")
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Default dispositions (this process ignores SIGPIPE) and no blocked signals.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        let setsid: Int32 = 0x80  // POSIX_SPAWN_SETSID (glibc, under _GNU_SOURCE)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | (newSession ? setsid : 0)))

        let arguments = argv.map { strdup($0) } + [nil]
        defer { for argument in arguments { free(argument) } }
        let variables = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { for variable in variables ?? [] { free(variable) } }
        var pid: pid_t = 0
        let result = variables.map { posix_spawn(&pid, argv[0], &actions, &attributes, arguments, $0) }
            ?? posix_spawn(&pid, argv[0], &actions, &attributes, arguments, environ)
        guard result == 0 else { throw PostgresClusterError.failed("spawn \(argv[0])", String(cString: strerror(result))) }
        return pid
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np`, looked up at run time: Swift's Glibc
    /// module leaves GNU extensions out.
    private static let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// Waits for `pid` to end; its exit status (128 + signal when killed).
    public static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    /// Runs `argv` to the end; its exit status and what it printed.
    static func run(_ argv: [String], outputPath: String) throws -> (status: Int32, output: String) {
        try? FileManager.default.removeItem(atPath: outputPath)
        let status = wait(try start(argv, outputPath: outputPath))
        return (status, (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "")
    }
}
