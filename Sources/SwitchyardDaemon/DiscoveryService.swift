import Logging
import ServiceLifecycle
import SwitchyardConfig
import SwitchyardCore
import SwitchyardProbe
import SwitchyardServer
import SwitchyardStore

/// Reads every discovering provider's catalog at start and every `discover.refresh`, on the
/// injected clock, and applies what it yields through the reload path. A catalog that cannot be
/// read (or parsed) keeps the last good one, which says so in `/readyz`, the metrics, the events
/// log and the journal, and is tried again after 15 s, doubling up to `refresh`; a good one is
/// kept in SQLite for the next start. A reload that changes which providers discover wakes it.
struct DiscoveryService: Service, CustomStringConvertible {
    struct Parts: Sendable {
        var reloader: ConfigReloader
        var fetcher: CatalogFetcher
        var store: SQLiteStore
        var metrics: SwitchyardMetrics
        var readiness: Readiness
        var pipeline: ObservationPipeline
        /// Paces the refreshes; a test's manual clock makes them exact.
        var clock: any Clock<Duration>
        var wallClock: any WallClock
        /// Signaled by the reloader when the discovering providers may have changed.
        var wake: DiscoveryWake
        /// Resolves a provider's key when it is needed; a closure, so no description of these parts holds the environment.
        var resolveKey: @Sendable (SecretReference) throws -> Secret
        var logger: Logger
    }

    let parts: Parts

    /// What the service group logs at start: the name only (the parts hold keys' sources).
    var description: String { "DiscoveryService" }

    /// While no provider discovers, how often the plan is looked at again (a reload also wakes the loop).
    static let idleRecheck = Duration.seconds(60)
    /// The wait before reading a failed catalog again; it doubles with each failure, up to `refresh`.
    static let firstRetry = Duration.seconds(15)
    /// At most this many catalog entries are kept (unfiltered, so a reload that widens the filters
    /// finds them); `max_bytes` bounds the answer they come from.
    static let maxKeptEntries = 50_000

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await loop(parts.clock) }
        } catch is CancellationError {
            // Shutdown: a refresh in progress was canceled with its transfer.
        }
    }

    private func loop<C: Clock<Duration>>(_ clock: C) async throws {
        let start = clock.now
        var due: [ProviderID: Duration] = [:]
        var failures: [ProviderID: Int] = [:]
        var cuts: [ProviderID: Int] = [:]
        var unrouted: [ProviderID: Int] = [:]
        var known: Set<ProviderID> = []
        while !Task.isCancelled {
            let plan = await parts.reloader.discoveringProviders()
            let names = Set(plan.map(\.name))
            for gone in known.subtracting(names) { forget(gone) }
            known = names
            due = due.filter { names.contains($0.key) }
            failures = failures.filter { names.contains($0.key) }
            cuts = cuts.filter { names.contains($0.key) }
            unrouted = unrouted.filter { names.contains($0.key) }
            for provider in plan where (due[provider.name] ?? .zero) <= start.duration(to: clock.now) {
                let name = provider.name
                let refresh = Duration.seconds(provider.discover?.refreshSeconds ?? DiscoverySettings().refreshSeconds)
                let (read, cut, skipped) = await self.refresh(provider, lastCut: cuts[name, default: 0], lastUnrouted: unrouted[name, default: 0])
                cuts[name] = cut
                unrouted[name] = skipped
                parts.readiness.update { $0.discoveryPending.remove(name.rawValue) }
                let failed = read ? 0 : failures[name, default: 0] + 1
                failures[name] = failed
                due[name] = start.duration(to: clock.now) + (failed == 0 ? refresh : min(Self.firstRetry * (1 << min(failed - 1, 20)), refresh))
            }
            let next = due.values.min() ?? start.duration(to: clock.now) + Self.idleRecheck
            try await sleepOrWake(until: start.advanced(by: next), on: clock)
        }
    }

    /// Sleeps until `deadline`, or less when a reload signals that the plan changed.
    private func sleepOrWake<C: Clock<Duration>>(until deadline: C.Instant, on clock: C) async throws {
        let wake = parts.wake
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await clock.sleep(until: deadline, tolerance: nil) }
            group.addTask { await wake.next() }
            try await group.next()
            group.cancelAll()
        }
    }

    /// A provider no longer discovers: its readiness problem and its metric series go.
    private func forget(_ provider: ProviderID) {
        parts.readiness.update {
            $0.discoveryProblems[provider.rawValue] = nil
            $0.discoveryPending.remove(provider.rawValue)
        }
        parts.metrics.forgetDiscovery(provider)
    }

    /// Reads one provider's catalog and applies it (`read`), or keeps the last good one and says why.
    /// `cut` counts the entries `max_targets` left out; a cut is announced when it differs from `lastCut`.
    /// `unrouted` counts the entries skipped for a task Switchyard does not route; announced when it differs from `lastUnrouted`.
    private func refresh(_ provider: ProviderSettings, lastCut: Int, lastUnrouted: Int) async -> (read: Bool, cut: Int, unrouted: Int) {
        let name = provider.name
        let discover = provider.discover ?? DiscoverySettings()
        let key: Secret?
        do {
            key = try provider.apiKey.map(parts.resolveKey)
        } catch {
            return (await failed(provider, CatalogFetcher.Failure(errorClass: .auth, message: SecretShape.redact("\(error)"))), lastCut, lastUnrouted)
        }
        let entries: [CatalogEntry]
        switch await parts.fetcher.fetch(provider, key: key) {
        case .failure(let failure): return (await failed(provider, failure), lastCut, lastUnrouted)
        case .success(let read): entries = read
        }
        let (kept, cut) = discover.select(entries)
        let now = parts.wallClock.now()
        let unrouted = discover.unroutedTasks(entries)
        parts.metrics.recordUnroutedTasks(name, unrouted)
        if unrouted != lastUnrouted {
            let message = "the catalog of '\(name)' lists \(unrouted) targets of tasks Switchyard does not route (before: \(lastUnrouted)); skipped them"
            parts.logger.notice("\(message)", metadata: ["provider": "\(name)", "event": "discovery_unrouted_tasks"])
            parts.pipeline.record(DaemonEvent(at: now, kind: .discovery, caller: "discovery", message: message))
        }
        if cut > 0, cut != lastCut {
            let message = "the catalog of '\(name)' has \(kept.count + cut) targets that pass the filters, more than discover.max_targets (\(discover.maxTargets)): kept the first \(kept.count), left out \(cut)"
            parts.logger.warning("\(message)", metadata: ["provider": "\(name)", "event": "discovery_cut"])
            parts.pipeline.record(DaemonEvent(at: now, kind: .discoveryCut, caller: "discovery", message: message))
        }
        // Kept unfiltered: the filters apply when the targets are made, so a reload that widens them needs no new read.
        let catalog = DiscoveredCatalog(entries: Array(entries.prefix(Self.maxKeptEntries)), fetchedAt: now, source: provider.catalogSource)
        let targets: Int
        do {
            targets = try await parts.reloader.applyCatalog(catalog, provider: name)
        } catch let unavailable as ProbeTargets.KeyUnavailable {
            let message = "the catalog cannot be applied: the key of provider '\(unavailable.provider)' cannot be resolved: \(unavailable.reason)"
            return (await failed(provider, CatalogFetcher.Failure(errorClass: .auth, message: SecretShape.redact(message))), lastCut, lastUnrouted)
        } catch {
            let message = "the catalog cannot be applied: \(error)"
            return (await failed(provider, CatalogFetcher.Failure(errorClass: .badResponse, message: SecretShape.redact(message))), lastCut, lastUnrouted)
        }
        do {
            try parts.store.saveCatalog(catalog, provider: name)
        } catch {
            parts.logger.warning("cannot keep the catalog in the state database; a restart without network would not know it",
                                 metadata: ["provider": "\(name)", "error": "\(error)"])
        }
        parts.metrics.recordDiscovery(name, .success(targets: targets, cut: cut, at: now))
        let wasFailing = parts.readiness.current.discoveryProblems[name.rawValue] != nil
        parts.readiness.update { $0.discoveryProblems[name.rawValue] = nil }
        let metadata: Logger.Metadata = ["provider": "\(name)", "targets": "\(targets)", "listed": "\(entries.count)"]
        if wasFailing {
            parts.logger.notice("catalog readable again", metadata: metadata)
        } else {
            parts.logger.info("catalog read", metadata: metadata)
        }
        return (true, cut, unrouted)
    }

    private func failed(_ provider: ProviderSettings, _ failure: CatalogFetcher.Failure) async -> Bool {
        let name = provider.name
        let hasCatalog = await parts.reloader.hasCatalog(name)
        let kept = hasCatalog ? "the last good catalog stays in use" : "no catalog was read yet: no targets discovered"
        let problem = "\(failure) (\(kept))"
        let previous = parts.readiness.current.discoveryProblems[name.rawValue]
        parts.readiness.update { $0.discoveryProblems[name.rawValue] = problem }
        parts.metrics.recordDiscovery(name, .failure)
        // Logged and recorded when the problem starts or changes, not at every retry while it lasts.
        guard previous != problem else { return false }
        parts.logger.error(hasCatalog ? "cannot read the catalog; keeping the last good one" : "cannot read the catalog; none was read yet, no targets discovered", metadata: [
            "provider": "\(name)", "error_class": "\(failure.errorClass.rawValue)", "error": "\(failure.message)", "event": "discovery_failed",
        ])
        parts.pipeline.record(DaemonEvent(at: parts.wallClock.now(), kind: .discoveryFailed, caller: "discovery",
                                          message: "catalog of '\(name)': \(problem)"))
        return false
    }
}
