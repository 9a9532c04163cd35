extension HealthBook {
    /// What the store remembered about the targets before a restart.
    public struct WarmStart: Sendable {
        /// Recent observations of any targets, in any order; replayed oldest first.
        public var observations: [Observation]
        /// Targets whose last recorded transition was an admin drain, with its time.
        public var drained: [Target: Timestamp]

        public init(observations: [Observation], drained: [Target: Timestamp] = [:]) {
            self.observations = observations
            self.drained = drained
        }
    }
}
