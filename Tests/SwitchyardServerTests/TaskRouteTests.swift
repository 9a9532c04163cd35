import Foundation
import HummingbirdTesting
import SwitchyardConfig
import SwitchyardCore
import SwitchyardServer
import Testing

/// `/v1/route?model=M&task=T` through the router: chat by default, the answer names its task,
/// an unknown task is 400 naming the valid ones, a task the model lacks is 404 naming those it
/// has; `/v1/providers` shows each target's task.
@Suite(.timeLimit(.minutes(2))) struct TaskRouteTests {
    static let descriptors: [TargetDescriptor] = [
        TargetDescriptor(target: Target(provider: ProviderID("a"), model: ModelName("flux")), upstreamModel: "flux-chat",
                         baseURL: "http://127.0.0.1:9000/v1", price: nil, preferenceOrder: 0),
        TargetDescriptor(target: Target(provider: ProviderID("b"), model: ModelName("flux")), upstreamModel: "flux-image",
                         baseURL: "http://127.0.0.1:9001/v1", price: Price(perImage: 0.004), preferenceOrder: 1, task: .textToImage),
    ]

    @Test func theRouteIsPerTaskAndSaysWhichTask() async throws {
        try await RouterHarness.run(descriptors: Self.descriptors) { client, _ in
            let chat = try await client.send(.get, "/v1/route?model=flux")
            #expect(chat.status == .ok)
            #expect(chat.text.contains(#""provider":"a""#) && !chat.text.contains(#""provider":"b""#), "\(chat.text)")
            #expect(chat.text.hasSuffix(#","strategy":"balanced","task":"chat"}"#), "\(chat.text)")
            let image = try await client.send(.get, "/v1/route?model=flux&task=text-to-image")
            #expect(image.status == .ok)
            #expect(image.text.contains(#""provider":"b""#) && !image.text.contains(#""provider":"a""#), "\(image.text)")
            #expect(image.text.hasSuffix(#""task":"text-to-image"}"#), "\(image.text)")
        }
    }

    @Test func anUnknownTaskIs400AndAMissingOne404() async throws {
        try await RouterHarness.run(descriptors: Self.descriptors) { client, _ in
            let bad = try await client.send(.get, "/v1/route?model=flux&task=image")
            #expect(bad.status == .badRequest)
            #expect(bad.text.contains(#"'image' is not one of chat, completion, embeddings, text-to-image, speech-to-text, text-to-speech, text-to-video"#),
                    "\(bad.text)")
            #expect(bad.text.hasPrefix(#"{"error":{"code":"#))
            let missing = try await client.send(.get, "/v1/route?model=flux&task=embeddings")
            #expect(missing.status == .notFound)
            #expect(missing.text.contains(#""code":"unknown_task""#) && missing.text.contains("its targets do: chat, text-to-image"), "\(missing.text)")
        }
    }

    @Test func providersShowEachTargetsTask() async throws {
        try await RouterHarness.run(descriptors: Self.descriptors) { client, _ in
            let answer = try await client.send(.get, "/v1/providers")
            #expect(answer.status == .ok)
            #expect(answer.text.contains(#""task":"chat""#) && answer.text.contains(#""task":"text-to-image""#), "\(answer.text)")
        }
    }

    @Test func aReportCarriesTheAudioItTranscribed() async throws {
        try await RouterHarness.run(descriptors: Self.descriptors, configure: { $0.clientTokens.replace(with: ClientTokens.Table(tcpWithoutToken: true)) }) { client, harness in
            let startedAt = RouterHarness.now.secondsSinceEpoch - 1
            let body = #"{"reports":[{"provider":"b","model":"flux","started_at":\#(startedAt),"outcome":"ok","total_ms":3000,"audio_seconds":60,"images":2}]}"#
            let answer = try await client.send(.post, "/v1/reports", headers: [.contentType: "application/json"], body: body)
            #expect(answer.status == .ok, "\(answer.text)")
            let delivered = harness.delivered.items.withLock { $0 }
            #expect(delivered.first?.audioSeconds == 60 && delivered.first?.images == 2)
            #expect(delivered.first?.costUSD == 0.008, "two images at $0.004")
        }
    }
}

/// The task rides on one info series per target, so dashboards can group by it without a
/// label on every series; a reload that changes a target's task relabels it.
@Suite struct TaskMetricsTests {
    @Test func eachTargetHasOneInfoSeriesWithItsTask() {
        let target = Target(provider: ProviderID("fal"), model: ModelName("flux"))
        let metrics = SwitchyardMetrics(targets: [MetricsTarget(target, kind: "openai", task: .textToImage)], version: "t")
        let text = String(decoding: metrics.exposition(budgets: []), as: UTF8.self)
        #expect(text.contains(#"switchyard_target_info{provider="fal",model="flux",kind="openai",task="text-to-image"} 1"#), "\(text.prefix(3000))")
        #expect(text.components(separatedBy: "switchyard_target_info{").count - 1 == 1)
        metrics.reconfigure(targets: [MetricsTarget(target, kind: "openai", task: .chat)], budgetProviders: [])
        let again = String(decoding: metrics.exposition(budgets: []), as: UTF8.self)
        #expect(again.contains(#"switchyard_target_info{provider="fal",model="flux",kind="openai",task="chat"} 1"#))
        #expect(!again.contains(#"task="text-to-image""#))
    }
}
