import Foundation
import Logging
import SwitchyardSystemd

/// Process-wide logging setup, done once in `main`'s commands.
public enum DaemonLogging {
    /// Sets up stderr logging at the given level and returns the daemon's logger.
    /// Structured journal entries when stderr is the journal (under systemd), plain text otherwise.
    public static func bootstrap(level: String) -> Logger {
        let parsed = Logger.Level(rawValue: level) ?? .info
        let journal = JournaldLogHandler.stderrIsJournal(environment: ProcessInfo.processInfo.environment)
        LoggingSystem.bootstrap { label in
            if journal { return JournaldLogHandler(label: label, level: parsed) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = parsed
            return LazyMetadataLogHandler(handler)  // a request's id is formatted only if the request logs
        }
        return Logger(label: "switchyard")
    }
}
