import SwitchyardCore

/// The probes waiting for their time, earliest first: a binary min-heap of entries keyed on
/// their floor (the earliest instant each may start).
/// One scheduler loop sleeps until the earliest and starts every due probe in a batch,
/// instead of a sleeping task per target. A value, generic over the instant, so tests
/// drive it with instants they choose.
///
/// Entries are never searched for: a reload that drops or restarts a target bumps its
/// generation in the roster, and an entry of an older generation is skipped when it surfaces.
struct ProbeQueue<Instant: Comparable & Sendable>: Sendable {
    /// One queued probe: which target, of which generation, and the earliest instant it may start.
    struct Entry: Sendable {
        var floor: Instant
        var target: Target
        var generation: Int
    }

    private var heap: [Entry] = []

    /// The entry whose floor comes first, if any.
    var earliest: Entry? { heap.first }

    /// Queues `entry`.
    mutating func insert(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].floor < heap[parent].floor else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the entry whose floor comes first.
    mutating func removeEarliest() -> Entry? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let first = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].floor < heap[smallest].floor { smallest = left }
            if right < heap.count, heap[right].floor < heap[smallest].floor { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }

    /// Drops every entry.
    mutating func removeAll() { heap.removeAll() }
}
