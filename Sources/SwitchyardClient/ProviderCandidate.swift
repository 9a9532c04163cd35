import SwitchyardCore
import SwitchyardWire

/// One target to try, as `withFailover` hands it to the caller: the provider, the model id to
/// send it and where it listens. From the daemon's route, or from the static fallback order.
public struct ProviderCandidate: Hashable, Sendable {
    public var provider: String
    /// The model id to send this provider (`upstream_model` in the route).
    public var upstreamModel: String
    public var baseURL: String
    /// The daemon's state for the target; `static` when it came from the fallback order.
    public var state: String

    public init(provider: String, upstreamModel: String, baseURL: String, state: String = "static") {
        self.provider = provider
        self.upstreamModel = upstreamModel
        self.baseURL = baseURL
        self.state = state
    }

    init(_ candidate: Wire.Candidate) {
        self.init(provider: candidate.provider, upstreamModel: candidate.upstreamModel, baseURL: candidate.baseURL,
                  state: candidate.state.rawValue)
    }
}

/// The candidates `withFailover` tries, in order, and where the order came from.
public struct ResolvedRoute: Hashable, Sendable {
    /// Where the order came from: the daemon, or the static fallback when the daemon was unreachable.
    public enum Source: String, Hashable, Sendable { case daemon, fallback }

    public var model: String
    public var candidates: [ProviderCandidate]
    public var source: Source
    /// Targets the daemon left out because they cannot serve the request's needs: (provider, reason).
    public var excluded: [Exclusion]

    /// A provider left out of the route, and why.
    public struct Exclusion: Hashable, Sendable {
        public var provider: String
        public var reason: String
        public init(provider: String, reason: String) {
            self.provider = provider
            self.reason = reason
        }
    }

    public init(model: String, candidates: [ProviderCandidate], source: Source, excluded: [Exclusion] = []) {
        self.excluded = excluded
        self.model = model
        self.candidates = candidates
        self.source = source
    }
}
