import SwitchyardConfig
import SwitchyardCore

/// Reads one provider's catalog or model list through the probe engine: with the provider's key
/// (sent to that provider only), its probe timeouts, the `discover.max_bytes` cap and the probes'
/// error classes.
public struct CatalogFetcher: Sendable {
    /// Why a catalog could not be read: a probe error class and a one-line message without secrets.
    public struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
        public var errorClass: ErrorClass
        public var message: String
        public var description: String { "\(errorClass.rawValue): \(message)" }

        public init(errorClass: ErrorClass, message: String) {
            self.errorClass = errorClass
            self.message = message
        }
    }

    private let transport: any HTTPTransport

    public init(transport: any HTTPTransport) { self.transport = transport }

    /// The entries `provider` lists now (unfiltered, in its order).
    public func fetch(_ provider: ProviderSettings, key: Secret?) async -> Result<[CatalogEntry], Failure> {
        let url = provider.discoveryURL
        var headers = ["Accept: application/json"]
        if let key { headers.append("Authorization: Bearer \(key.exposedValue)") }
        let request = HTTPRequest(url: url, headers: headers, connectTimeoutSeconds: provider.probe.connectTimeoutSeconds,
                                  timeoutSeconds: provider.probe.timeoutSeconds,
                                  maxBodyBytes: provider.discover?.maxBytes ?? DiscoverySettings().maxBytes)
        let result = await transport.perform(request)
        if result.failure == .bodyTooLarge {
            return .failure(Failure(errorClass: .bodyTooLarge, message: "the catalog answer is larger than discover.max_bytes (\(request.maxBodyBytes) bytes)"))
        }
        if let (errorClass, message) = ResponseClassifier.classify(result) {
            return .failure(Failure(errorClass: errorClass, message: "GET \(url): \(message)"))
        }
        if let errorClass = ErrorClass(httpStatus: result.status) {
            return .failure(Failure(errorClass: errorClass, message: "GET \(url): HTTP \(result.status)"))
        }
        do {
            return .success(try CatalogParser.parse(result.body, kind: provider.kind))
        } catch {
            return .failure(Failure(errorClass: .badResponse, message: "GET \(url): \(error)"))
        }
    }
}
