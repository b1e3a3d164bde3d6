import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MCPCore
import NIOCore
import ServiceLifecycle

/// `/mcp` over Streamable HTTP, in both eras: stateless 2026-07-28 requests and handshake-era sessions.
public struct MCPEndpointController<Context: MCPRequestContext>: Sendable {
    let methods: GatewayMethods
    let sessions: SessionRegistry
    let keepAliveInterval: Duration

    public static var bodyLimit: Int { 64 * 1024 }

    /// Requests that a backend works on for a while: answered on an event stream when the client accepts one, so
    /// that progress and the backend's questions reach the client, and a client that goes away cancels the work.
    static var streamedMethods: Set<String> { ["tools/call", "prompts/get", "resources/read"] }
    /// Requests answered by a backend, each from a task of its own that stops when the client leaves or the server stops.
    static var routedMethods: Set<String> { streamedMethods.union(["completion/complete"]) }

    /// How long a routed call may go without an answer before it is answered on an event stream (with keep-alives,
    /// so that proxies keep the connection) rather than as plain JSON.
    let streamAfter: Duration

    public init(
        methods: GatewayMethods, sessions: SessionRegistry, keepAliveInterval: Duration = .seconds(15),
        streamAfter: Duration = .seconds(1)
    ) {
        self.methods = methods
        self.sessions = sessions
        self.keepAliveInterval = keepAliveInterval
        self.streamAfter = streamAfter
    }

    public func addRoutes(to router: some RouterMethods<Context>) {
        router.post("/mcp") { request, context in await post(request, context: context) }
        router.get("/mcp") { request, context in await openStream(request, context: context) }
        router.delete("/mcp") { request, context in await endSession(request, context: context) }
    }

    // MARK: POST

    func post(_ incoming: Request, context: Context) async -> Response {
        var request = incoming
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: Self.bodyLimit)
        } catch {
            return MCPResponses.rpcError(
                .init(code: JSONRPC.invalidRequest, message: "Request body larger than \(Self.bodyLimit) bytes"),
                status: .contentTooLarge)
        }
        if let contentType = request.headers[.contentType], !contentType.lowercased().hasPrefix("application/json") {
            return MCPResponses.rpcError(
                .init(code: JSONRPC.invalidRequest, message: "Content-Type must be application/json"),
                status: .unsupportedMediaType)
        }
        guard let value = try? JSONValue.parseMessage(body.readableBytesView) else {
            return MCPResponses.rpcError(.init(code: JSONRPC.parseError, message: "Parse error"), status: .badRequest)
        }
        let message: JSONRPC.Message
        do {
            message = try JSONRPC.classify(value)
        } catch {
            return MCPResponses.rpcError(error, status: .badRequest)
        }

        switch Self.era(of: message, headers: request.headers) {
        case .modern:
            return await handleModern(message, request: request, context: context)
        case .handshake:
            return await handleHandshake(message, value: value, request: request, context: context)
        }
    }

    enum EraChoice { case modern, handshake }

    /// `initialize` → handshake; a session without the modern envelope → handshake; the modern envelope or a
    /// non-handshake `MCP-Protocol-Version` → modern; anything else is held to the handshake rules.
    static func era(of message: JSONRPC.Message, headers: HTTPFields) -> EraChoice {
        let method: String?
        let params: JSONValue?
        switch message {
        case .request(_, let name, let parameters): (method, params) = (name, parameters)
        case .notification(let name, let parameters): (method, params) = (name, parameters)
        case .response: (method, params) = (nil, nil)
        }
        if method == "initialize" { return .handshake }
        let hasModernEnvelope = params?["_meta"]?[MCPProtocol.MetaKey.protocolVersion] != nil
        if headers[.mcpSessionID] != nil && !hasModernEnvelope { return .handshake }
        if hasModernEnvelope { return .modern }
        if let version = headers[.mcpProtocolVersion], !MCPProtocol.handshakeVersions.contains(version) { return .modern }
        return .handshake
    }

    // MARK: modern (2026-07-28)

    func handleModern(_ message: JSONRPC.Message, request: Request, context: Context) async -> Response {
        guard MCPResponses.accepts(request, "application/json") else {
            return MCPResponses.rpcError(
                .init(code: JSONRPC.invalidRequest, message: "Accept must include application/json"), status: .notAcceptable)
        }
        let id: JSONValue
        let method: String
        let params: JSONValue?
        switch message {
        case .notification, .response:
            // Notifications are acknowledged; there is nothing stateful for them to change.
            return MCPResponses.accepted()
        case .request(let requestID, let name, let parameters):
            (id, method, params) = (requestID, name, parameters)
        }
        let version: String
        do throws(JSONRPC.Failure) {
            version = try ModernEnvelope.validate(method: method, params: params, headers: request.headers, id: id)
        } catch {
            return MCPResponses.rpcError(error, status: MCPResponses.modernStatus(for: error.code))
        }
        if method == "subscriptions/listen" {
            return listen(id: id, params: params, request: request, connectionClosed: context.connectionClosed)
        }
        let capabilities = params?["_meta"]?[MCPProtocol.MetaKey.clientCapabilities] ?? [:]
        var call = ClientCall(
            era: .modern(version: version), clientCapabilities: capabilities, sessionKey: nil, clientID: context.clientID,
            principal: context.principal, backendSelection: context.backendSelection, subject: context.subject)
        call.view = await methods.registry.view(for: context.subject)
        if method == "tools/call", let name = params?["name"]?.stringValue,
            let definition = methods.registry.toolDefinition(name, view: call.view),
            let mismatch = ParameterHeaders.check(
                schema: definition["inputSchema"], arguments: params?["arguments"], headers: request.headers)
        {
            return MCPResponses.rpcError(
                .init(code: MCPProtocol.ErrorCode.headerMismatch, message: mismatch, id: id), status: .badRequest)
        }
        let methods = self.methods
        if Self.routedMethods.contains(method) {
            let finish: @Sendable (Result<JSONValue, JSONRPC.Failure>) -> (JSONValue, HTTPResponse.Status) = { outcome in
                switch outcome {
                case .success(let result): return (JSONRPC.result(id: id, methods.decorateModern(result, method: method)), .ok)
                case .failure(var failure):
                    failure.id = id
                    return (JSONRPC.error(failure), MCPResponses.modernStatus(for: failure.code))
                }
            }
            return await answerCall(
                call: call, sessionID: nil, request: request, mayStream: Self.streamedMethods.contains(method),
                channel: context.channel, finish: finish
            ) { call in
                await methods.answer(method: method, params: params, call: call)
            }
        }
        switch await methods.answer(method: method, params: params, call: call) {
        case .success(let result):
            return MCPResponses.result(id: id, methods.decorateModern(result, method: method))
        case .failure(var failure):
            failure.id = id
            return MCPResponses.rpcError(failure, status: MCPResponses.modernStatus(for: failure.code))
        }
    }

    // MARK: handshake era (2024-11-05 … 2025-11-25)

    func handleHandshake(_ message: JSONRPC.Message, value: JSONValue, request: Request, context: Context) async -> Response {
        if case .request(let id, "initialize", let params) = message {
            return await initialize(id: id, params: params, request: request, context: context)
        }
        if case .notification("initialize", _) = message {
            return MCPResponses.rpcError(
                .init(code: JSONRPC.invalidRequest, message: "initialize must be a request"), status: .badRequest)
        }
        guard let sessionID = request.headers[.mcpSessionID] else {
            return MCPResponses.rpcError(
                .init(code: JSONRPC.invalidRequest, message: "Bad Request: Missing session ID; send initialize first"),
                status: .badRequest)
        }
        guard case .found(let session) = await sessions.lookUp(sessionID, principal: context.principal) else {
            return MCPResponses.rpcError(.init(code: JSONRPC.invalidRequest, message: "Session not found"), status: .notFound)
        }
        if let version = request.headers[.mcpProtocolVersion], !MCPProtocol.handshakeVersions.contains(version) {
            return MCPResponses.rpcError(
                .init(code: JSONRPC.invalidRequest, message: "Unsupported MCP-Protocol-Version: \(version)"), status: .badRequest)
        }
        switch message {
        case .response:
            // The client's answer to a request the gateway relayed (elicitation, sampling, roots).
            await sessions.deliverAnswer(session: session.id, response: value)
            return MCPResponses.accepted(sessionID: session.id)
        case .notification(let method, let params):
            if method == "notifications/cancelled", let requestID = params?["requestId"] {
                await sessions.cancelCall(session: session.id, requestID: requestID)
            }
            return MCPResponses.accepted(sessionID: session.id)
        case .request(let id, let method, let params):
            let call = ClientCall(
                era: .handshake(version: session.protocolVersion), clientCapabilities: session.clientCapabilities,
                sessionKey: session.id, clientID: context.clientID, principal: context.principal,
                backendSelection: context.backendSelection, subject: context.subject)
            let finish: @Sendable (Result<JSONValue, JSONRPC.Failure>) -> (JSONValue, HTTPResponse.Status) = { outcome in
                switch outcome {
                case .success(let result): return (JSONRPC.result(id: id, result), .ok)
                case .failure(var failure):
                    failure.id = id
                    return (JSONRPC.error(failure), .ok)
                }
            }
            let methods = self.methods
            let sessions = self.sessions
            let sessionID = session.id
            // Registered so that the client's notifications/cancelled for this id reaches the work.
            let answer: @Sendable (ClientCall) async -> Result<JSONValue, JSONRPC.Failure> = { call in
                await sessions.trackCall(session: sessionID, requestID: id) {
                    await methods.answer(method: method, params: params, call: call)
                }
            }
            if Self.routedMethods.contains(method) {
                return await answerCall(
                    call: call, sessionID: session.id, request: request, mayStream: Self.streamedMethods.contains(method),
                    channel: context.channel, finish: finish, answer)
            }
            return MCPResponses.message(
                finish(await answer(call)).0, streaming: MCPResponses.prefersEventStream(request), sessionID: session.id)
        }
    }

    func initialize(id: JSONValue, params: JSONValue?, request: Request, context: Context) async -> Response {
        guard let params, params.objectValue != nil, let requested = params["protocolVersion"]?.stringValue else {
            return MCPResponses.rpcError(
                .init(code: JSONRPC.invalidParams, message: "initialize needs params.protocolVersion", id: id),
                status: .badRequest)
        }
        // Newer or unknown requests get the newest handshake revision; the client decides whether it can speak it.
        let version = MCPProtocol.handshakeVersions.contains(requested) ? requested : MCPProtocol.latestHandshakeVersion
        let capabilities = params["capabilities"]?.objectValue.map(JSONValue.object) ?? [:]
        let session = await sessions.open(
            principal: context.principal, protocolVersion: version, clientCapabilities: capabilities)
        context.logger.info("mcp session opened", metadata: ["protocol_version": "\(version)"])
        return MCPResponses.message(
            JSONRPC.result(id: id, await methods.initializeResult(version: version)),
            streaming: MCPResponses.prefersEventStream(request), sessionID: session.id)
    }

    // MARK: GET and DELETE (handshake sessions only)

    func openStream(_ request: Request, context: Context) async -> Response {
        guard let sessionID = request.headers[.mcpSessionID] else { return MCPResponses.methodNotAllowed() }
        guard case .found(let session) = await sessions.lookUp(sessionID, principal: context.principal) else {
            return MCPResponses.rpcError(.init(code: JSONRPC.invalidRequest, message: "Session not found"), status: .notFound)
        }
        guard MCPResponses.accepts(request, "text/event-stream") else {
            return MCPResponses.rpcError(
                .init(code: JSONRPC.invalidRequest, message: "Accept must include text/event-stream"), status: .notAcceptable)
        }
        guard let (streamID, stream, continuation) = await sessions.openStream(session: session.id) else {
            return MCPResponses.rpcError(
                .init(code: JSONRPC.invalidRequest, message: "Too many open streams for this session"), status: .conflict)
        }
        context.connectionClosed?.whenComplete { _ in continuation.finish() }
        let sessions = self.sessions
        let registry = methods.registry
        let interval = keepAliveInterval
        return MCPResponses.eventStream(sessionID: session.id) { writer in
            let keepAlive = Task {
                while !Task.isCancelled {
                    try await Task.sleep(for: interval)
                    await sessions.send(ServerSentEvents.keepAlive, session: session.id, stream: streamID)
                }
            }
            // Backends' list changes reach handshake-era clients on this stream.
            let (listenerID, changes) = await registry.listen()
            let relay = Task {
                for await method in changes {
                    let frame = ServerSentEvents.event(
                        data: JSONRPC.notification(method: method, params: nil).serializedString, event: "message")
                    await sessions.send(frame, session: session.id, stream: streamID)
                }
            }
            defer {
                keepAlive.cancel()
                relay.cancel()
                Task { await registry.stopListening(listenerID) }
            }
            do {
                try await writer.write(ByteBuffer(string: ": stream open\n\n"))
                // The server waits for open responses before it stops, so a stopping server ends its streams.
                try await withGracefulShutdownHandler {
                    for await frame in stream {
                        try await writer.write(ByteBuffer(string: frame))
                    }
                } onGracefulShutdown: {
                    continuation.finish()
                }
            } catch {
                // The client went away; closing the stream below is all that is left to do.
            }
            await sessions.closeStream(session: session.id, stream: streamID)
        }
    }

    func endSession(_ request: Request, context: Context) async -> Response {
        guard let sessionID = request.headers[.mcpSessionID] else { return MCPResponses.methodNotAllowed() }
        guard await sessions.end(sessionID, principal: context.principal) else {
            return MCPResponses.rpcError(.init(code: JSONRPC.invalidRequest, message: "Session not found"), status: .notFound)
        }
        return Response(status: .noContent)
    }
}
