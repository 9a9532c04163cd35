@testable import SwitchyardCore
@testable import SwitchyardServer
import SwitchyardWire
import Testing

/// The daemon's enums and the document's agree, so mapping a value to its wire type never traps.
@Suite struct WireMappingTests {
    @Test func everyStrategyIsDocumented() {
        #expect(Set(RoutingStrategy.allCases.map(\.rawValue)) == Set(Wire.Strategy.allCases.map(\.rawValue)))
    }

    @Test func everyTaskIsDocumented() {
        #expect(Set(InferenceTask.allCases.map(\.rawValue)) == Set(Wire.InferenceTask.allCases.map(\.rawValue)))
        for task in InferenceTask.allCases { #expect(Wire.InferenceTask(task).rawValue == task.rawValue) }
    }

    @Test func everyTargetStateIsDocumented() {
        #expect(Set(TargetState.allCases.map(\.rawValue)) == Set(Wire.TargetState.allCases.map(\.rawValue)))
        for state in TargetState.allCases { #expect(Wire.TargetState(state).rawValue == state.rawValue) }
    }
}
