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

    /// Whether the Accept header admits `type` (absent, `*/*` and `type/*` count).
    static func accepts(_ request: Request, _ type: String) -> Bool {
        let values = request.headers[values: .accept]
        if values.isEmpty { return true }
        let major = type.split(separator: "/").first.map(String.init) ?? type
        for value in values {
            for item in value.split(separator: ",") {
                let mediaType = item.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
                if mediaType == type || mediaType == "*/*" || mediaType == "\(major)/*" { return true }
            }
        }
        return false
    }

    /// JSON unless the client accepts only an event stream.
    static func prefersEventStream(_ request: Request) -> Bool {
        !accepts(request, "application/json") && accepts(request, "text/event-stream")
    }
}
