import SwitchyardCore

/// The stable numbers under which values are stored. Append only: a stored code never changes meaning.
enum StoredCodes {
    /// Error classes by code (index + 1; 0 means success).
    private static let errorClasses: [ErrorClass] = [
        .dns, .connectRefused, .connectTimeout, .tls, .timeout, .auth, .modelNotFound, .rateLimited,
        .serverError, .badResponse, .streamStalled, .bodyTooLarge, .canceled,
    ]
    private static let codes: [ErrorClass: UInt8] = Dictionary(uniqueKeysWithValues: errorClasses.enumerated().map { ($1, UInt8($0 + 1)) })

    static func code(of errorClass: ErrorClass) -> UInt8 { codes[errorClass]! }

    /// The class of a code; one this version does not know (written by a newer one) reads as `bad_response`.
    static func errorClass(code: UInt8) -> ErrorClass {
        (1...errorClasses.count).contains(Int(code)) ? errorClasses[Int(code) - 1] : .badResponse
    }

    static func code(of outcome: Outcome) -> UInt8 {
        switch outcome {
        case .ok: 0
        case .failure(let errorClass): code(of: errorClass)
        }
    }

    static func outcome(code: UInt8) -> Outcome { code == 0 ? .ok : .failure(errorClass(code: code)) }

    /// USD stored as whole nano-dollars.
    /// Capped at 100,000 USD per value: a provider reporting an absurd token count must neither trap
    /// the conversion nor overflow a day's sum (8,640 capped probes still fit in an Int64).
    static func nanoUSD(_ usd: Double) -> Int64 { usd.isFinite && usd > 0 ? Int64(min(usd * 1e9, Double(maxNanoUSD)).rounded()) : 0 }
    static let maxNanoUSD: Int64 = 100_000_000_000_000
    static func usd(nano: Int64) -> Double { Double(nano) / 1e9 }
}
