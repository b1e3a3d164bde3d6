/// Encodes Server-Sent Events frames (text/event-stream).
public enum ServerSentEvents {
    public static func event(data: String, id: String? = nil, event: String? = nil) -> String {
        var frame = ""
        if let id { frame += "id: \(id)\n" }
        if let event { frame += "event: \(event)\n" }
        // A data payload with line breaks must be split into several data lines.
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) {
            frame += "data: \(line)\n"
        }
        return frame + "\n"
    }

    /// A comment line: keeps idle connections and proxies from timing out.
    public static let keepAlive = ": keep-alive\n\n"
}
