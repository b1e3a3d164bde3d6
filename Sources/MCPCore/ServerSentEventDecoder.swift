/// Decodes a text/event-stream incrementally: feed it bytes as they arrive, take complete events out.
public struct ServerSentEventDecoder: Sendable {
    public struct Event: Sendable, Equatable {
        public var event: String
        public var data: String
        public var id: String?
    }

    /// A single line longer than this is not an event stream anyone should be sending.
    public let maximumLineLength: Int
    private var line: [UInt8] = []
    private var dataLines: [String] = []
    private var eventType = ""
    private var lastID: String?
    private var sawCarriageReturn = false

    public enum Failure: Error { case lineTooLong }

    public init(maximumLineLength: Int = 16 * 1024 * 1024) {
        self.maximumLineLength = maximumLineLength
    }

    /// Feeds bytes; returns every event they complete.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(Failure) -> [Event] {
        var events: [Event] = []
        for byte in bytes {
            if sawCarriageReturn {
                sawCarriageReturn = false
                if byte == 0x0A { continue }
            }
            switch byte {
            case 0x0A, 0x0D:
                sawCarriageReturn = byte == 0x0D
                if let event = endLine() { events.append(event) }
            default:
                guard line.count < maximumLineLength else { throw .lineTooLong }
                line.append(byte)
            }
        }
        return events
    }

    private mutating func endLine() -> Event? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            defer {
                dataLines.removeAll()
                eventType = ""
            }
            guard !dataLines.isEmpty else { return nil }
            return Event(event: eventType.isEmpty ? "message" : eventType, data: dataLines.joined(separator: "\n"), id: lastID)
        }
        if line.first == UInt8(ascii: ":") { return nil }
        let text = String(decoding: line, as: UTF8.self)
        let field: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
        } else {
            field = Substring(text)
            value = ""
        }
        switch field {
        case "data": dataLines.append(String(value))
        case "event": eventType = String(value)
        case "id" where !value.contains("\0"): lastID = String(value)
        default: break
        }
        return nil
    }
}
