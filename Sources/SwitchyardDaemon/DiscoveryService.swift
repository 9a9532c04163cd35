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
/// log and the journal; a good one is kept in SQLite for the next start.
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
        /// Resolves a provider's key when it is needed; a closure, so no description of these parts holds the environment.
        var resolveKey: @Sendable (SecretReference) throws -> Secret
        var logger: Logger
    }

    let parts: Parts

    /// What the service group logs at start: the name only (the parts hold keys' sources).
    var description: String { "DiscoveryService" }

    /// While no provider discovers, how often the plan is looked at again (a reload may add one).
    static let idleRecheck = Duration.seconds(60)

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await loop() }
        } catch is CancellationError {
            // Shutdown: a refresh in progress was canceled with its transfer.
        }
    }

    private func loop() async throws {
        var elapsed = Duration.zero
        var due: [ProviderID: Duration] = [:]
        while !Task.isCancelled {
            let plan = await parts.reloader.discoveringProviders()
            due = due.filter { name, _ in plan.contains { $0.name == name } }
            for provider in plan where (due[provider.name] ?? elapsed) <= elapsed {
                await refresh(provider)
                due[provider.name] = elapsed + .seconds(provider.discover?.refreshSeconds ?? DiscoverySettings().refreshSeconds)
            }
            let wait = (due.values.min() ?? elapsed + Self.idleRecheck) - elapsed
            try await parts.clock.sleep(for: max(wait, .zero))
            elapsed += wait
        }
    }

    /// Reads one provider's catalog and applies it, or keeps the last good one and says why.
    func refresh(_ provider: ProviderSettings) async {
        let name = provider.name
        let discover = provider.discover ?? DiscoverySettings()
        let key: Secret?
        do {
            key = try provider.apiKey.map(parts.resolveKey)
        } catch {
            return await failed(provider, CatalogFetcher.Failure(errorClass: .auth, message: SecretShape.redact("\(error)")))
        }
        let entries: [CatalogEntry]
        switch await parts.fetcher.fetch(provider, key: key) {
        case .failure(let failure): return await failed(provider, failure)
        case .success(let read): entries = read
        }
        let (kept, cut) = discover.select(entries)
        let now = parts.wallClock.now()
        if cut > 0 {
            let message = "the catalog of '\(name)' has \(kept.count + cut) targets that pass the filters, more than discover.max_targets (\(discover.maxTargets)): kept the first \(kept.count), left out \(cut)"
            parts.logger.warning("\(message)", metadata: ["provider": "\(name)", "event": "discovery_cut"])
            parts.pipeline.record(DaemonEvent(at: now, kind: .discoveryCut, caller: "discovery", message: message))
        }
        let catalog = DiscoveredCatalog(entries: kept, fetchedAt: now)
        let targets: Int
        do {
            targets = try await parts.reloader.applyCatalog(catalog, provider: name)
        } catch {
            return await failed(provider, CatalogFetcher.Failure(errorClass: .auth, message: SecretShape.redact("\(error)")))
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
    }

    private func failed(_ provider: ProviderSettings, _ failure: CatalogFetcher.Failure) async {
        let name = provider.name
        let kept = await parts.reloader.hasCatalog(name) ? "the last good catalog stays in use" : "no catalog was read yet: no targets discovered"
        let problem = "\(failure) (\(kept))"
        let previous = parts.readiness.current.discoveryProblems[name.rawValue]
        parts.readiness.update { $0.discoveryProblems[name.rawValue] = problem }
        parts.metrics.recordDiscovery(name, .failure)
        parts.logger.error("cannot read the catalog; keeping the last good one", metadata: [
            "provider": "\(name)", "error_class": "\(failure.errorClass.rawValue)", "error": "\(failure.message)", "event": "discovery_failed",
        ])
        // One event when the problem starts or changes, not one per refresh while it lasts.
        if previous != problem {
            parts.pipeline.record(DaemonEvent(at: parts.wallClock.now(), kind: .discoveryFailed, caller: "discovery",
                                              message: "catalog of '\(name)': \(problem)"))
        }
    }
}
