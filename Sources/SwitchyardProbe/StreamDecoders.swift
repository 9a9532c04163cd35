/// Splits a byte stream into lines as chunks arrive; a line may span chunks.
/// `\r\n` and `\n` both end a line. Lines are returned without their terminator.
struct LineSplitter: Sendable {
    private var pending: [UInt8] = []

    /// Appends `chunk` and returns every line it completed.
    mutating func feed(_ chunk: [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var start = chunk.startIndex
        for index in chunk.indices where chunk[index] == UInt8(ascii: "\n") {
            var line = pending + chunk[start..<index]
            pending.removeAll(keepingCapacity: true)
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            lines.append(line)
            start = index + 1
        }
        pending += chunk[start...]
        return lines
    }

    /// What is left after the last line break (an unterminated last line).
    mutating func finish() -> [UInt8]? {
        defer { pending.removeAll() }
        return pending.isEmpty ? nil : pending
    }
}

/// Decodes Server-Sent Events (the WHATWG `text/event-stream` format) into the
/// `data` payload of each event, as chunks arrive.
struct SSEDecoder: Sendable {
    private var lines = LineSplitter()
    private var data: [UInt8] = []
    private var hasData = false

    /// Appends `chunk` and returns the data of every event it completed.
    mutating func feed(_ chunk: [UInt8]) -> [[UInt8]] {
        var events: [[UInt8]] = []
        for line in lines.feed(chunk) {
            if let event = take(line) { events.append(event) }
        }
        return events
    }

    /// The event still open when the stream ended, if it had data.
    mutating func finish() -> [UInt8]? {
        if let line = lines.finish(), let event = take(line) { return event }
        guard hasData else { return nil }
        defer { data.removeAll(); hasData = false }
        return data
    }

    private mutating func take(_ line: [UInt8]) -> [UInt8]? {
        if line.isEmpty {
            guard hasData else { return nil }
            defer { data.removeAll(keepingCapacity: true); hasData = false }
            return data
        }
        guard line.starts(with: Self.dataField) else { return nil }  // comments, `event:`, `id:`, `retry:`
        var value = line.dropFirst(Self.dataField.count)
        if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        if hasData { data.append(UInt8(ascii: "\n")) }
        data += value
        hasData = true
        return nil
    }

    private static let dataField = Array("data:".utf8)
}
