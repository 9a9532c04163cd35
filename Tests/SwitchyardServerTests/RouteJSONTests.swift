import Foundation
import NIOCore
@testable import SwitchyardServer
@testable import SwitchyardCore
import SwitchyardWire
import Testing

/// The hand-written `/v1/route` writer writes exactly the bytes of the generated `Wire.Route`
/// (openapi/switchyard.json) as the daemon's encoder writes them, and nothing the document lacks.
@Suite struct RouteJSONTests {
    static func candidate(_ provider: String, _ numbers: [Double?], reasons: [String], text: String = "m-up") -> RouteCandidate {
        RouteCandidate(provider: ProviderID(provider), upstreamModel: text, baseURL: "http://127.0.0.1:8000/v1", score: numbers[0] ?? 1,
                       state: .healthy, latencyP50Ms: numbers[1], latencyP90Ms: numbers[2], latencyP99Ms: numbers[3], ttftP50Ms: numbers[4],
                       tokensPerSecond: numbers[5], successRate: numbers[6] ?? 0.5, pricePerRequest: numbers[7], reasons: reasons)
    }

    static let routes: [Route] = [
        Route(model: ModelName("llama-3.1-8b"), strategy: .balanced, candidates: [
            candidate("fast", [150.37265228708864, 4.431, 4.431, 4.431, nil, nil, 0.6663012222840897, 0.00011],
                      reasons: ["p50 latency 4 ms over 1 samples", "healthy"]),
            candidate("slow", [2, 100, 1e22, .leastNonzeroMagnitude, 0.1, 123456789.125, 1, 9e-05], reasons: []),
        ], panic: false, earliestRetryAt: nil, generatedAt: Timestamp(secondsSinceEpoch: 1_800_000_000.123)),
        Route(model: ModelName("m/\"quoted\"\\ü\u{1F600}"), strategy: .cheapest, candidates: [
            candidate("p\t\n\r\u{8}\u{C}\u{1}\u{1F}/x", [-0.0, 0, -3.5, nil, nil, nil, 0, nil], reasons: ["a \"b\" \\ c", "é/中"],
                      text: "up\u{0}stream"),
        ], excluded: [RouteExclusion(provider: ProviderID("short"), reason: "context 32768 < 200000 needed"),
                      RouteExclusion(provider: ProviderID("q\"/\u{1}"), reason: "no tool calling; no image input \\ é")],
           panic: true, earliestRetryAt: Timestamp(secondsSinceEpoch: 1_800_000_060), generatedAt: Timestamp(secondsSinceEpoch: 1_800_000_000)),
        Route(model: ModelName("empty"), strategy: .preferred, candidates: [], panic: true, earliestRetryAt: nil,
              generatedAt: Timestamp(secondsSinceEpoch: 0)),
        {
            var image = Route(model: ModelName("flux"), strategy: .cheapest, candidates: [
                candidate("fal", [41_000, nil, nil, nil, nil, nil, 0.9, 0.004], reasons: ["p50 41 s per image"]),
            ], panic: false, earliestRetryAt: nil, generatedAt: Timestamp(secondsSinceEpoch: 1_800_000_000))
            image.task = .textToImage
            return image
        }(),
    ]

    /// The route as the generated type: its candidates encoded with the snake_case key strategy and
    /// decoded as `Wire.Candidate` (no field-by-field copy, so a new field needs no edit here).
    static func documented(_ route: Route) throws -> Wire.Route {
        let candidates = try JSONDecoder().decode([Wire.Candidate].self, from: try snakeCase.encode(route.candidates))
        let excluded = try JSONDecoder().decode([Wire.Exclusion].self, from: try snakeCase.encode(route.excluded))
        return Wire.Route(candidates: candidates, earliestRetryAt: route.earliestRetryAt?.rfc3339, excluded: excluded, generatedAt: route.generatedAt.rfc3339,
                          model: route.model.rawValue, panic: route.panic, strategy: Wire.Strategy(rawValue: route.strategy.rawValue)!,
                          task: Wire.InferenceTask(route.task))
    }

    static var snakeCase: JSONEncoder {
        let encoder = Wire.encoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }

    @Test(arguments: routes) func bytesMatchJSONEncoder(route: Route) throws {
        let expected = String(decoding: try Wire.encoder().encode(Self.documented(route)), as: UTF8.self)  // as JSONResponse.make
        var buffer = ByteBuffer()
        try RouteJSON.write(route, into: &buffer)
        #expect(String(buffer: buffer) == expected)
    }

    /// Every field the writer writes is in the document: decoded as the generated type and encoded
    /// again, the bytes are the same (a field the type lacks would be dropped).
    @Test(arguments: routes) func theWrittenAnswerIsTheDocumentedType(route: Route) throws {
        var buffer = ByteBuffer()
        try RouteJSON.write(route, into: &buffer)
        let written = Data(buffer.readableBytesView)
        let decoded = try JSONDecoder().decode(Wire.Route.self, from: written)
        #expect(String(decoding: try Wire.encoder().encode(decoded), as: UTF8.self) == String(decoding: written, as: UTF8.self))
    }

    /// Every field of the ranking's candidate is in the document: encoded with the key strategy it
    /// is byte for byte the generated type's encoding.
    @Test(arguments: routes) func theRankingsCandidateIsTheDocumentedCandidate(route: Route) throws {
        for candidate in route.candidates {
            let ranked = try Self.snakeCase.encode(candidate)
            let documented = try Wire.encoder().encode(try JSONDecoder().decode(Wire.Candidate.self, from: ranked))
            #expect(String(decoding: ranked, as: UTF8.self) == String(decoding: documented, as: UTF8.self))
        }
    }

    /// Every field of an exclusion is in the document, as for candidates.
    @Test func theRankingsExclusionIsTheDocumentedExclusion() throws {
        for exclusion in Self.routes.flatMap(\.excluded) {
            let ranked = try Self.snakeCase.encode(exclusion)
            let documented = try Wire.encoder().encode(try JSONDecoder().decode(Wire.Exclusion.self, from: ranked))
            #expect(String(decoding: ranked, as: UTF8.self) == String(decoding: documented, as: UTF8.self))
        }
    }

    @Test func aNonFiniteNumberIsRefusedLikeJSONEncoderDoes() {
        var route = Self.routes[0]
        route.candidates[0].score = .infinity
        var buffer = ByteBuffer()
        #expect(throws: RouteJSON.NonFiniteNumber.self) { try RouteJSON.write(route, into: &buffer) }
        #expect(throws: (any Error).self) { try Wire.encoder().encode(Self.documented(route)) }
    }
}
