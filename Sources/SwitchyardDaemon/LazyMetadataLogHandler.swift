import Logging

/// Keeps a logger's own metadata as set and hands it to `inner` only when a message is logged.
/// swift-log's `StreamLogHandler` formats its metadata again on every change, and Hummingbird
/// sets a request id on each request's logger: with this wrapper a request that logs nothing
/// formats nothing.
struct LazyMetadataLogHandler<Inner: LogHandler>: LogHandler {
    private var inner: Inner
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    init(_ inner: Inner) { self.inner = inner }

    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        // The message's own metadata wins over the logger's, as in swift-log's handlers.
        let merged = metadata.isEmpty ? explicit : metadata.merging(explicit ?? [:]) { _, message in message }
        inner.log(level: level, message: message, metadata: merged, source: source, file: file, function: function, line: line)
    }
}
