import Hummingbird
import NIOCore
import SwitchyardCore

/// `GET /`: a small human status page, rendered on the server as one HTML document with
/// inline CSS and SVG (no scripts, no external assets), so it works offline and on a phone.
public enum StatusPage {
    /// How many of the most recent transitions the page lists.
    public static let eventLimit = 25
    /// Seconds between the browser's automatic reloads.
    public static let refreshSeconds = 10

    /// The `GET /` answer.
    static func response(html: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// The page as it is now: what `GET /` answers (public for the rendering benchmark).
    public static func html(_ deps: APIDependencies) -> String {
        StatusPageHTML.render(StatusPageContent.gather(deps))
    }
}

/// Everything the status page shows, read once per request: live state from the health
/// book, the last hour of minute rollups and recent transitions from the history store.
public struct StatusPageContent: Sendable {
    /// One target's row.
    public struct Row: Sendable {
        /// The target's configuration, health and statistics now.
        public var snapshot: TargetSnapshot
        /// Decayed success probability now, as the routes use it.
        public var successRate: Double
        /// Minute rollups of the window, oldest first (empty without history).
        public var minutes: [HistoryBucket]

        /// A row as given.
        public init(snapshot: TargetSnapshot, successRate: Double, minutes: [HistoryBucket]) {
            self.snapshot = snapshot
            self.successRate = successRate
            self.minutes = minutes
        }
    }

    /// The daemon's build, for the header.
    public var version: String
    /// What `/readyz` says, for the header.
    public var readiness: Readiness.Status
    /// When the page was rendered; ages and the sparklines' window are relative to it.
    public var now: Timestamp
    /// First instant of the sparklines' window: the start of the minute 59 minutes before `now`'s.
    public var windowStart: Timestamp
    /// One per configured target, sorted by provider then model.
    public var rows: [Row]
    /// Most recent transitions, newest first.
    public var events: [Transition]
    /// Most recent daemon-wide events (configuration reloads), newest first.
    public var daemonEvents: [DaemonEvent]
    /// Gateway traffic per model and provider since start; nil when the gateway is off.
    public var gateway: [GatewayTraffic.ModelTraffic]?
    /// Configured clients' spend today, limits and refusals; empty when none used the gateway.
    public var clients: [ClientUsage] = []
    /// Why history or events are missing (no store, or reading it failed); nil when they were read.
    public var historyProblem: String?
    /// The fleet as this host sees it; nil without `fleet:` (no section then).
    public var fleet: FleetStatus?

    /// Content as given; `windowStart` follows from `now`.
    public init(version: String, readiness: Readiness.Status, now: Timestamp, rows: [Row], events: [Transition],
                daemonEvents: [DaemonEvent] = [], historyProblem: String?, gateway: [GatewayTraffic.ModelTraffic]? = nil) {
        self.daemonEvents = daemonEvents
        self.gateway = gateway
        self.version = version
        self.readiness = readiness
        self.now = now
        self.windowStart = Self.windowStart(now)
        self.rows = rows
        self.events = events
        self.historyProblem = historyProblem
    }

    /// The start of the minute 59 minutes before the current one: 60 minute slots end with `now`'s.
    public static func windowStart(_ now: Timestamp) -> Timestamp {
        let minute = (now.secondsSinceEpoch / 60).rounded(.down) * 60
        return Timestamp(secondsSinceEpoch: minute - Double(Sparkline.slots - 1) * 60)
    }

    /// Reads the daemon's state: one history query for all targets (one range scan per target), one events query.
    static func gather(_ deps: APIDependencies) -> StatusPageContent {
        let now = deps.clock.now()
        let start = windowStart(now)
        let halfLife = deps.healthBook.ranker.policy.successHalfLifeSeconds
        var minutes: [Target: [HistoryBucket]] = [:]
        var events: [Transition] = []
        var daemonEvents: [DaemonEvent] = []
        var problem: String?
        if let history = deps.history {
            do {
                let buckets = try history.history(HistoryQuery(since: start, until: now + 1, step: .minute))
                for bucket in buckets { minutes[bucket.target, default: []].append(bucket) }
                events = try history.events(since: nil, limit: StatusPage.eventLimit)
                daemonEvents = try history.daemonEvents(since: nil, limit: StatusPage.eventLimit)
            } catch {
                problem = "reading history failed: \(error)"
            }
        } else {
            problem = "this daemon keeps no history store"
        }
        let rows = deps.healthBook.snapshots().map { snapshot in
            Row(snapshot: snapshot, successRate: snapshot.stats.successProbability(at: now, halfLifeSeconds: halfLife),
                minutes: minutes[snapshot.descriptor.target] ?? [])
        }
        var content = StatusPageContent(version: deps.metrics.version, readiness: deps.readiness.current, now: now,
                                        rows: rows, events: events, daemonEvents: daemonEvents, historyProblem: problem,
                                        gateway: deps.gateway.flatMap { $0.directory.current.settings.enabled ? $0.traffic.snapshot() : nil })
        if let gateway = deps.gateway, case let configuration = gateway.directory.current, configuration.settings.enabled {
            content.clients = gateway.limiter.usage(limits: configuration.clientLimits, now: now)
        }
        content.fleet = deps.fleet?()
        return content
    }
}
