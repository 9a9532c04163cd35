import Foundation
@testable import SwitchyardServer
import Testing

/// `/v1/models` is written in OpenAI's snake_case by the encoder's key strategy.
@Suite struct ModelListBodyTests {
    @Test func theModelListIsWrittenInOpenAIsKeys() {
        let list = GatewayRoutes.ModelList(data: [GatewayRoutes.ModelEntry(id: "m", providers: ["a", "b"], tasks: ["chat", "text-to-image"])])
        let text = String(decoding: GatewayRoutes.modelListBody(list), as: UTF8.self)
        #expect(text == #"{"data":[{"created":0,"id":"m","object":"model","owned_by":"switchyard","providers":["a","b"],"tasks":["chat","text-to-image"]}],"object":"list"}"#)
    }
}
