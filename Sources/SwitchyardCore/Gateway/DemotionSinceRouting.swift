/// A request's candidates were ranked when it arrived; a target the gateway saw fail since then
/// (demoted by another request's failure, `ReportCorroboration`) is moved behind the others
/// before its attempt starts, as a fresh route would place it. Checked per attempt, so a request
/// that routed [a, b, c] just before `a` failed elsewhere tries b and c before a.
public enum DemotionSinceRouting {
    /// Reorders `candidates[next...]` when the one at `next` is demoted now: the demoted ones go
    /// behind the others, each group in its order. True when the order changed.
    public static func reorder<Candidate>(_ candidates: inout [Candidate], next: Int, target: (Candidate) -> Target,
                                          isDemoted: (Target) -> Bool) -> Bool {
        guard candidates.indices.contains(next), next + 1 < candidates.count, isDemoted(target(candidates[next])) else { return false }
        var kept: [Candidate] = []
        var demoted: [Candidate] = []
        for candidate in candidates[next...] {
            if isDemoted(target(candidate)) { demoted.append(candidate) } else { kept.append(candidate) }
        }
        guard !kept.isEmpty else { return false }
        candidates.replaceSubrange(next..., with: kept + demoted)
        return true
    }
}
