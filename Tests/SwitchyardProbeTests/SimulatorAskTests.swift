import Foundation
@testable import SwitchyardSimulator
import Testing

/// The simulator reads a request's snake_case fields through the decoder's key strategy.
@Suite struct SimulatorAskTests {
    @Test func everyDialectsFieldIsRead() throws {
        let body = #"{"model":"m","stream":true,"stream_options":{"include_usage":true},"max_tokens":3,"max_completion_tokens":4,"options":{"num_predict":5}}"#
        let ask = try ChatAsk.decode(Data(body.utf8))
        #expect(ask.model == "m" && ask.stream == true && ask.streamOptions?.includeUsage == true)
        #expect(ask.maxTokens == 3 && ask.maxCompletionTokens == 4 && ask.options?.numPredict == 5)
    }
}
