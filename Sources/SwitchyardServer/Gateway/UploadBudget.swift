import Prometheus
import Synchronization

/// The bytes of multipart uploads the gateway holds at once (`gateway.upload_budget_bytes`):
/// each upload is bounded by `max_upload_bytes`, this bounds them all together.
final class UploadBudget: Sendable {
    private let held = Atomic<Int>(0)
    private let gauge: Gauge?

    init(gauge: Gauge? = nil) { self.gauge = gauge }

    /// Bytes held now by every upload.
    var current: Int { held.load(ordering: .relaxed) }

    /// An empty hold; grow it as the upload's bytes arrive (or by its declared length at once).
    func hold() -> Hold { Hold(self) }

    fileprivate func take(_ bytes: Int, limit: Int) -> Bool {
        let now = held.add(bytes, ordering: .relaxed).newValue
        guard now <= limit else {
            held.subtract(bytes, ordering: .relaxed)
            return false
        }
        gauge?.set(to: Double(now))
        return true
    }

    fileprivate func give(_ bytes: Int) {
        guard bytes > 0 else { return }
        gauge?.set(to: Double(held.subtract(bytes, ordering: .relaxed).newValue))
    }

    /// One upload's share; given back when the last reference goes.
    final class Hold: Sendable {
        private let budget: UploadBudget
        private let bytes = Atomic<Int>(0)

        fileprivate init(_ budget: UploadBudget) { self.budget = budget }

        /// Bytes this hold has taken.
        var taken: Int { bytes.load(ordering: .relaxed) }

        /// Takes `more` bytes, or nothing (false) when the budget would go past `limit`.
        func grow(by more: Int, limit: Int) -> Bool {
            guard more > 0 else { return true }
            guard budget.take(more, limit: limit) else { return false }
            bytes.add(more, ordering: .relaxed)
            return true
        }

        deinit { budget.give(bytes.load(ordering: .relaxed)) }
    }
}
