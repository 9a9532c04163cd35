/// First come, first served turns for an actor's long, awaiting operations (a reload, a catalog):
/// the turn passes straight from its holder to the first waiter, so a later caller cannot slip in.
struct TurnLine {
    private var taken = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// How many callers wait for the turn.
    var waiters: Int { waiting.count }

    /// Takes the turn at once when it is free (true); otherwise the caller must `wait`.
    mutating func arrive() -> Bool {
        if taken { return false }
        taken = true
        return true
    }

    /// Queues a caller that `arrive` turned away; it is resumed holding the turn.
    mutating func wait(_ continuation: CheckedContinuation<Void, Never>) { waiting.append(continuation) }

    /// Ends the holder's turn: the first waiter, if any, now holds it and is returned to be resumed.
    mutating func leave() -> CheckedContinuation<Void, Never>? {
        guard !waiting.isEmpty else {
            taken = false
            return nil
        }
        return waiting.removeFirst()
    }
}
