/// Helpers every test target shares: temporary directories, free loopback ports, polling,
/// log capture, running programs, and blocking work kept off the cooperative pool.
import Foundation
import Logging
import Synchronization

/// Collects every log line the daemon emits, for assertions (and the secret grep).
public final class LogCapture: Sendable {
    public init() {}

    private let lines = Mutex<[String]>([])

    public var text: String { lines.withLock { $0.joined(separator: "\n") } }

    /// The captured lines that contain `fragment`.
    public func lines(containing fragment: String) -> [String] { lines.withLock { $0.filter { $0.contains(fragment) } } }

    public func logger(label: String = "switchyard") -> Logger {
        var logger = Logger(label: label) { label in
            EventLogHandler { [self] event, metadata in append("\(event.level) \(label): \(event.message) \(metadata) [\(event.source)]") }
        }
        logger.logLevel = .trace
        return logger
    }

    fileprivate func append(_ line: String) { lines.withLock { $0.append(line) } }
}

/// A log handler that hands every event, with the handler's metadata merged in, to `receive`.
public struct EventLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace
    private let receive: @Sendable (LogEvent, Logger.Metadata) -> Void

    public init(_ receive: @escaping @Sendable (LogEvent, Logger.Metadata) -> Void) { self.receive = receive }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        receive(event, metadata.merging(event.metadata ?? [:]) { $1 })
    }
}

/// A port on 127.0.0.1 that nothing listens on: bound by us, then released.
public func unusedLoopbackPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A fresh directory, removed afterwards. Kept short: Unix socket paths are limited to 107 bytes.
public func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = "/tmp/sy-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// Polls `condition` until it holds or `seconds` pass; the daemon under test runs on real time.
public func eventually(within seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// Resolves once with a value set from another task.
public final class Rendezvous<Value: Sendable>: Sendable {
    public init() {}

    private let state = Mutex<(value: Value?, waiters: [CheckedContinuation<Value, Never>])>((nil, []))

    public func set(_ value: Value) {
        let waiters = state.withLock { state -> [CheckedContinuation<Value, Never>] in
            state.value = value
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    public func value() async -> Value {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Value? in
                if let value = state.value { return value }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

/// Runs blocking work (a child process, a blocking HTTP call, a synchronous SQLite scan) on its
/// own thread, so it never holds one of the few cooperative threads that the in-process
/// simulators and daemons need to answer.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// `eventually`, with each check run off the cooperative pool.
public func eventuallyOffPool(within seconds: Double, _ condition: @escaping @Sendable () throws -> Bool) async throws -> Bool {
    try await eventually(within: seconds) { try await offPool(condition) }
}

/// Binds a Unix socket at `path` and closes it without unlinking: a stale socket file nobody listens on.
public func makeStaleSocket(at path: String) {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        raw.copyBytes(from: Array(path.utf8))
        raw[path.utf8.count] = 0
    }
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
}

/// Runs a program to the end (optionally in `directory`, with `environment` and `input` on
/// stdin) and returns its exit status and combined stdout and stderr. Blocking: call it via `offPool`.
public func runProgram(_ program: String, _ arguments: [String], directory: String? = nil, environment: [String: String]? = nil,
                       input: String? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    if let environment { process.environment = environment }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    let stdin = Pipe()
    process.standardInput = stdin
    try process.run()
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try stdin.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// The package root, from the calling file's path (Tests/<Target>/<File>.swift).
public func packageRoot(file: String = #filePath) -> String {
    URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
}

/// The directory holding the built executables (switchyard, switchyard-sim), found from the test bundle's path.
public let buildDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    .pathComponents.prefix { $0 != "switchyardPackageTests.xctest" }.joined(separator: "/").replacingOccurrences(of: "//", with: "/")
