import CCurl

/// Easy handles of finished transfers, reset and kept for the next ones: as many as ran at once
/// (up to `capacity`), so a probe costs no handle set-up (allocation, buffers, reading the proxy
/// environment) but its options. Owned by the engine's driver thread.
struct CurlHandlePool: ~Copyable {
    /// How many idle handles are kept; more are cleaned up as they come back.
    static let capacity = 64
    private var handles: [UnsafeMutableRawPointer] = []

    init() {}

    deinit {
        for handle in handles { curl_easy_cleanup(handle) }
    }

    /// An idle handle, already reset; nil when none is kept (the caller makes one).
    mutating func take() -> UnsafeMutableRawPointer? { handles.popLast() }

    /// Keeps `handle` (reset by its transfer) for the next transfer, or cleans it up when the pool is full.
    mutating func giveBack(_ handle: UnsafeMutableRawPointer) {
        if handles.count < Self.capacity { handles.append(handle) } else { curl_easy_cleanup(handle) }
    }
}
