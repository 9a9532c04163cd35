import CMalloc

/// Process-wide malloc settings for a long-running daemon, applied once at start-up.
public enum MemoryTuning {
    /// Allocations from this size up get their own mapping, returned to the system when freed.
    /// glibc raises its threshold after the first such free (up to 32 MiB) and serves later big
    /// blocks from its arenas, which keep the memory: each `/metrics` scrape (7 MiB of text at
    /// 1,000 targets, built and then copied once) left the resident size a few MiB higher.
    /// Setting the threshold fixes it.
    public static let mmapThresholdBytes: Int32 = 512 * 1024

    /// Applies the settings; call before the daemon allocates much.
    public static func apply() {
        _ = sy_malloc_set_mmap_threshold(mmapThresholdBytes)
    }
}
