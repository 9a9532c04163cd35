import Synchronization
import SwitchyardCore

/// Gateway traffic since the daemon started, per model and provider, for the status page:
/// requests and failovers per model, answers served and attempts failed per provider.
/// Keys are configured names only (a request is counted once its model resolved), so it stays small.
public final class GatewayTraffic: Sendable {
    /// One model's tally.
    public struct ModelTraffic: Sendable, Hashable {
        public var model: ModelName
        /// Gateway requests routed for this model.
        public var requests: Int
        /// Moves to the next candidate after a failed attempt.
        public var failovers: Int
        /// Hedges started (a second candidate beside a slow first attempt), and those the hedge won.
        public var hedges: Int = 0
        public var hedgesWon: Int = 0
        /// Per provider: attempts that answered and attempts that failed.
        public var providers: [ProviderID: ProviderTraffic]

        public init(model: ModelName, requests: Int = 0, failovers: Int = 0, providers: [ProviderID: ProviderTraffic] = [:]) {
            self.model = model
            self.requests = requests
            self.failovers = failovers
            self.providers = providers
        }
    }

    /// One provider's attempts for a model.
    public struct ProviderTraffic: Sendable, Hashable {
        public var served: Int
        public var failed: Int

        public init(served: Int = 0, failed: Int = 0) {
            self.served = served
            self.failed = failed
        }
    }

    private let models = Mutex<[ModelName: ModelTraffic]>([:])

    public init() {}

    func request(_ model: ModelName) {
        models.withLock { $0[model, default: ModelTraffic(model: model)].requests += 1 }
    }

    func failover(_ model: ModelName) {
        models.withLock { $0[model, default: ModelTraffic(model: model)].failovers += 1 }
    }

    func hedge(_ model: ModelName) {
        models.withLock { $0[model, default: ModelTraffic(model: model)].hedges += 1 }
    }

    func hedgeWon(_ model: ModelName) {
        models.withLock { $0[model, default: ModelTraffic(model: model)].hedgesWon += 1 }
    }

    /// An attempt that counts for or against its provider (not one that was the request's fault).
    func attempt(_ target: Target, failed: Bool) {
        models.withLock { models in
            var provider = models[target.model, default: ModelTraffic(model: target.model)].providers[target.provider, default: ProviderTraffic()]
            if failed { provider.failed += 1 } else { provider.served += 1 }
            models[target.model, default: ModelTraffic(model: target.model)].providers[target.provider] = provider
        }
    }

    /// Every model seen so far, sorted by name.
    public func snapshot() -> [ModelTraffic] {
        models.withLock { $0.values.sorted { $0.model.rawValue < $1.model.rawValue } }
    }
}
