/// A provider's `discover:` block: which of the catalog's entries become targets, at most how
/// many, and how often the catalog is read again. Defaults live here and nowhere else.
public struct DiscoverySettings: Hashable, Sendable {
    /// Globs (`*`, `?`) or exact ids of models to keep; empty keeps every model.
    public var models: [String] = []
    /// Partner providers to keep (router catalogs only); empty keeps every partner.
    public var allowProviders: [String] = []
    /// Partner providers to leave out, even when allowed.
    public var denyProviders: [String] = []
    /// Catalog statuses to keep; entries without a status are always kept.
    public var includeStatus: Set<CatalogStatus> = [.live, .staging, .error]
    /// At most this many discovered targets; a larger catalog is cut (with a warning and an event).
    public var maxTargets = 1000
    /// How often the catalog is read again.
    public var refreshSeconds: Double = 600
    /// The largest catalog answer read; a larger one is refused (`body_too_large`) and the last good catalog kept.
    public var maxBytes = 16 << 20

    public init() {}

    /// The entries this block keeps, in catalog order and without duplicates, cut to `maxTargets`;
    /// `cut` counts the entries that passed the filters but did not fit.
    public func select(_ entries: [CatalogEntry]) -> (kept: [CatalogEntry], cut: Int) {
        var seen = Set<String>()
        var kept: [CatalogEntry] = []
        var cut = 0
        for entry in entries where keeps(entry) && seen.insert(entry.upstream).inserted {
            if kept.count < maxTargets { kept.append(entry) } else { cut += 1 }
        }
        return (kept, cut)
    }

    /// Whether one entry passes the model, partner and status filters.
    public func keeps(_ entry: CatalogEntry) -> Bool {
        if !models.isEmpty, !models.contains(where: { Glob.matches($0, entry.model) }) { return false }
        if let partner = entry.partner {
            if !allowProviders.isEmpty, !allowProviders.contains(partner) { return false }
            if denyProviders.contains(partner) { return false }
        }
        if let status = entry.published?.status, !includeStatus.contains(status) { return false }
        if entry.task(or: .chat) == nil { return false }
        return true
    }

    /// How many entries the filters skip only because Switchyard does not route their task
    /// (`image-segmentation`, …): said in the log at each read, as the cut is.
    public func unroutedTasks(_ entries: [CatalogEntry]) -> Int {
        entries.reduce(0) { count, entry in
            guard entry.task(or: .chat) == nil else { return count }
            var routed = entry
            routed.hubTask = nil
            return keeps(routed) ? count + 1 : count
        }
    }
}

/// Shell-style globs over model ids: `*` any run of characters (slashes included), `?` one character.
public enum Glob {
    /// Whether all of `text` matches `pattern` (case-sensitive; no escapes).
    public static func matches(_ pattern: String, _ text: String) -> Bool {
        matches(Array(pattern.unicodeScalars)[...], Array(text.unicodeScalars)[...])
    }

    private static func matches(_ pattern: ArraySlice<Unicode.Scalar>, _ text: ArraySlice<Unicode.Scalar>) -> Bool {
        var p = pattern.startIndex, t = text.startIndex
        var star: Int?, resume = text.startIndex
        while t < text.endIndex {
            if p < pattern.endIndex, pattern[p] == "?" || pattern[p] == text[t] {
                p += 1; t += 1
            } else if p < pattern.endIndex, pattern[p] == "*" {
                star = p; resume = t; p += 1
            } else if let star {
                p = star + 1; resume += 1; t = resume
            } else {
                return false
            }
        }
        while p < pattern.endIndex, pattern[p] == "*" { p += 1 }
        return p == pattern.endIndex
    }
}
