import SwitchyardCore

/// A probe setting whose default depends on the target's task (`InferenceTask`).
public enum TaskDefaultedSetting: String, CaseIterable, Hashable, Sendable, Comparable {
    case interval
    case timeout
    case mode
    case attemptTimeout = "attempt_timeout"

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// Where a target's task-dependent probe settings came from: written in the config (at the top,
/// provider or model level) or taken from the task's defaults. Bookkeeping, not a setting: it
/// takes no part in equality or hashing, so settings with the same values are equal however they
/// were written, and a rendered configuration reads back equal to the one it was rendered from.
public struct ProbeProvenance: Hashable, Sendable {
    /// Settings written somewhere in the config; a task's defaults never replace them.
    public var explicit: Set<TaskDefaultedSetting> = []
    /// Settings this target took from its task's defaults.
    public var fromTask: Set<TaskDefaultedSetting> = []

    public init() {}

    public static func == (_: Self, _: Self) -> Bool { true }
    public func hash(into _: inout Hasher) {}
}

extension ProbeSettings {
    /// These settings with `task`'s defaults (probe interval, probe timeout, probe mode and the
    /// gateway's attempt timeout) in place of every one not written in the config. Chat's and
    /// completion's defaults are the plain ones; a text task leaves `attempt_timeout` to the
    /// gateway's default by kind of request (streaming or not). `keepMode` leaves the mode alone
    /// (discovered targets keep the discovering provider's probe mode).
    public func applyingDefaults(of task: InferenceTask, keepMode: Bool = false) -> ProbeSettings {
        var settings = self
        let plain = ProbeSettings()
        func take(_ setting: TaskDefaultedSetting, _ apply: (inout ProbeSettings) -> Bool) {
            guard !provenance.explicit.contains(setting) else { return }
            if apply(&settings) { settings.provenance.fromTask.insert(setting) }
        }
        take(.interval) { settings in
            guard task.defaultProbeIntervalSeconds != plain.intervalSeconds else { return false }
            settings.intervalSeconds = task.defaultProbeIntervalSeconds
            return true
        }
        take(.timeout) { settings in
            guard task.defaultAttemptTimeoutSeconds != plain.timeoutSeconds else { return false }
            settings.timeoutSeconds = task.defaultAttemptTimeoutSeconds
            settings.connectTimeoutSeconds = min(settings.connectTimeoutSeconds, settings.timeoutSeconds)
            return true
        }
        if !keepMode {
            take(.mode) { settings in
                let mode: ProbeMode = task.probesByCompletionByDefault ? .completion : .liveness
                guard mode != plain.mode else { return false }
                settings.mode = mode
                return true
            }
        }
        take(.attemptTimeout) { settings in
            guard !task.generatesText else { return false }
            settings.attemptTimeoutSeconds = task.defaultAttemptTimeoutSeconds
            return true
        }
        return settings
    }
}
