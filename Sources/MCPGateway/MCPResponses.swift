import HTTPTypes
import Hummingbird
import MCPCore
import NIOCore

extension HTTPField.Name {
    public static let mcpSessionID = Self(MCPProtocol.Header.sessionID)!
    public static let mcpProtocolVersion = Self(MCPProtocol.Header.protocolVersion)!
    public static let mcpMethod = Self(MCPProtocol.Header.method)!
    public static let mcpName = Self(MCPProtocol.Header.name)!
    static let xAccelBuffering = Self("X-Accel-Buffering")!
    public static let lastEventID = Self(MCPProtocol.Header.lastEventID)!
}

/// The shapes of response `/mcp` sends: JSON, a one-message event stream, an open event stream, 202, errors.
enum MCPResponses {
    /// HTTP status for a modern-era JSON-RPC error, as the reference SDK maps them.
    static func modernStatus(for code: Int) -> HTTPResponse.Status {
        switch code {
        case JSONRPC.methodNotFound: .notFound
        case JSONRPC.parseError, JSONRPC.invalidRequest, JSONRPC.invalidParams, MCPProtocol.ErrorCode.headerMismatch,
            MCPProtocol.ErrorCode.missingClientCapability, MCPProtocol.ErrorCode.unsupportedProtocolVersion:
            .badRequest
        default: .ok
        }
    }

    static func rpcError(_ failure: JSONRPC.Failure, status: HTTPResponse.Status) -> Response {
        json(JSONRPC.error(failure), status: status)
    }

    static func result(id: JSONValue, _ result: JSONValue) -> Response {
        json(JSONRPC.result(id: id, result), status: .ok)
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status, sessionID: String? = nil) -> Response {
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        if let sessionID { headers[.mcpSessionID] = sessionID }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: value.serialized())))
    }

    /// One JSON-RPC message, as JSON or as a single-event stream, whichever the client prefers.
    static func message(_ value: JSONValue, streaming: Bool, sessionID: String?) -> Response {
        guard streaming else { return json(value, status: .ok, sessionID: sessionID) }
        let frame = ServerSentEvents.event(data: value.serializedString, event: "message")
        var response = Response(
            status: .ok, headers: eventStreamHeaders(sessionID: sessionID), body: .init(byteBuffer: ByteBuffer(string: frame)))
        response.headers[.contentLength] = nil
        return response
    }

    static func eventStream(sessionID: String?, _ write: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void)
        -> Response
    {
        Response(
            status: .ok, headers: eventStreamHeaders(sessionID: sessionID),
            body: ResponseBody { writer in
                try await write(&writer)
                try await writer.finish(nil)
            })
    }

    static func eventStreamHeaders(sessionID: String?) -> HTTPFields {
        // no-cache and X-Accel-Buffering: no keep proxies (nginx, Caddy, Funnel) from holding events back.
        var headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache", .xAccelBuffering: "no"]
        if let sessionID { headers[.mcpSessionID] = sessionID }
        return headers
    }

    static func accepted(sessionID: String? = nil) -> Response {
        var headers = HTTPFields()
        if let sessionID { headers[.mcpSessionID] = sessionID }
        return Response(status: .accepted, headers: headers)
    }

    static func methodNotAllowed() -> Response {
        var response = rpcError(
            .init(
                code: JSONRPC.invalidRequest,
                message: "Method not allowed: this endpoint takes POST (GET and DELETE need a handshake-era session)"),
            status: .methodNotAllowed)
        response.headers[.allow] = "POST"
        return response
    }

    /// Whether the Accept header admits `type` (absent, `*/*` and `type/*` count). Read byte by byte: every request
    /// asks this two or three times.
    static func accepts(_ request: Request, _ type: String) -> Bool {
        let values = request.headers[values: .accept]
        if values.isEmpty { return true }
        let wanted = Array(type.utf8)
        let slash = wanted.firstIndex(of: UInt8(ascii: "/")) ?? wanted.count
        for value in values {
            var utf8 = value.utf8[...]
            while !utf8.isEmpty {
                let end = utf8.firstIndex(of: UInt8(ascii: ",")) ?? utf8.endIndex
                var item = utf8[..<end]
                if let parameters = item.firstIndex(of: UInt8(ascii: ";")) { item = item[..<parameters] }
                if admits(trimmed(item), wanted: wanted, slash: slash) { return true }
                utf8 = end == utf8.endIndex ? utf8[end...] : utf8[utf8.index(after: end)...]
            }
        }
        return false
    }

    private static func trimmed(_ bytes: Substring.UTF8View) -> Substring.UTF8View {
        var bytes = bytes
        while let first = bytes.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { bytes.removeFirst() }
        while let last = bytes.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { bytes.removeLast() }
        return bytes
    }

    /// `*/*`, `major/*` or the type itself, ignoring ASCII case.
    private static func admits(_ mediaType: Substring.UTF8View, wanted: [UInt8], slash: Int) -> Bool {
        let star = UInt8(ascii: "*")
        if mediaType.elementsEqual([star, UInt8(ascii: "/"), star]) { return true }
        let lowered = mediaType.lazy.map(\.asciiLowercased)
        if lowered.elementsEqual(wanted) { return true }
        return slash < wanted.count && lowered.elementsEqual(wanted[...slash] + [star])
    }

    /// JSON unless the client accepts only an event stream.
    static func prefersEventStream(_ request: Request) -> Bool {
        !accepts(request, "application/json") && accepts(request, "text/event-stream")
    }
}
