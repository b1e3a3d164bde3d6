import Hummingbird
import MCPCore
import NIOCore
import ServiceLifecycle

/// The event streams of `/mcp` besides the handshake-era GET stream: a modern client's `subscriptions/listen`,
/// and the stream a routed request is answered on.
extension MCPEndpointController {
    // MARK: subscriptions/listen (modern)

    /// The modern replacement of the GET stream: acknowledges what it will send, then sends the list changes the
    /// client asked for until the client closes the stream (or the server stops, which ends it with a result).
    func listen(id: JSONValue, params: JSONValue?, request: Request, connectionClosed: EventLoopFuture<Void>?) -> Response {
        guard MCPResponses.accepts(request, "text/event-stream") else {
            return MCPResponses.rpcError(
                .init(code: JSONRPC.invalidRequest, message: "subscriptions/listen answers with text/event-stream", id: id),
                status: .notAcceptable)
        }
        guard case .object(let requested)? = params?["notifications"] else {
            return MCPResponses.rpcError(
                .init(code: JSONRPC.invalidParams, message: "subscriptions/listen needs params.notifications", id: id),
                status: .badRequest)
        }
        let offered = [
            "toolsListChanged": "notifications/tools/list_changed",
            "promptsListChanged": "notifications/prompts/list_changed",
            "resourcesListChanged": "notifications/resources/list_changed",
        ]
        var honored: [String: JSONValue] = [:]
        for (key, _) in offered where requested[key]?.boolValue == true { honored[key] = true }
        let wanted = Set(offered.filter { honored[$0.key] != nil }.map(\.value))
        let acknowledged = honored
        let subscription: JSONValue = ["_meta": [MCPProtocol.MetaKey.subscriptionID: id]]
        let registry = methods.registry
        let interval = keepAliveInterval
        let identity = methods.identity
        return MCPResponses.eventStream(sessionID: nil) { writer in
            func send(_ message: JSONValue) async throws {
                try await writer.write(
                    ByteBuffer(string: ServerSentEvents.event(data: message.serializedString, event: "message")))
            }
            let (listenerID, changes) = await registry.listen()
            let (items, continuation) = AsyncStream<StreamItem>.makeStream()
            connectionClosed?.whenComplete { _ in continuation.finish() }
            let relay = Task {
                for await method in changes where wanted.contains(method) {
                    continuation.yield(.message(JSONRPC.notification(method: method, params: subscription)))
                }
                continuation.finish()
            }
            let keepAlive = Task {
                while !Task.isCancelled {
                    try await Task.sleep(for: interval)
                    continuation.yield(.keepAlive)
                }
            }
            defer {
                relay.cancel()
                keepAlive.cancel()
                Task { await registry.stopListening(listenerID) }
            }
            do {
                var acknowledgement = subscription.objectValue ?? [:]
                acknowledgement["notifications"] = .object(acknowledged)
                try await send(
                    JSONRPC.notification(method: "notifications/subscriptions/acknowledged", params: .object(acknowledgement)))
                try await withGracefulShutdownHandler {
                    for await item in items {
                        switch item {
                        case .message(let message): try await send(message)
                        case .keepAlive: try await writer.write(ByteBuffer(string: ServerSentEvents.keepAlive))
                        }
                    }
                } onGracefulShutdown: {
                    continuation.finish()
                }
                // Ended by the server: a graceful close is a result, so the client knows nothing was lost.
                var result = subscription.objectValue ?? [:]
                result["resultType"] = "complete"
                var meta = result["_meta"]?.objectValue ?? [:]
                meta[MCPProtocol.MetaKey.serverInfo] = identity.serverInfo
                result["_meta"] = .object(meta)
                try await send(JSONRPC.result(id: id, .object(result)))
            } catch {
                // The client closed the stream: that is how a listen ends.
            }
        }
    }

    // MARK: request streams

    /// Answers on an event stream: the backend's notifications and questions first, then the response.
    /// The stream is probed every `callProbeInterval`; when the client has gone, the work is cancelled.
    func streamed(
        call: ClientCall, sessionID: String?, finish: @escaping @Sendable (Result<JSONValue, JSONRPC.Failure>) -> JSONValue,
        _ answer: @escaping @Sendable (ClientCall) async -> Result<JSONValue, JSONRPC.Failure>
    ) -> Response {
        let (items, continuation) = AsyncStream<StreamItem>.makeStream()
        var call = call
        call.observer = ClientStreamObserver(
            stream: continuation, sessions: sessions, sessionID: sessionID, clientCapabilities: call.clientCapabilities)
        let interval = callProbeInterval
        return MCPResponses.eventStream(sessionID: sessionID) { [call] writer in
            let work = Task {
                let outcome = await answer(call)
                continuation.yield(.message(finish(outcome)))
                continuation.finish()
            }
            let probe = Task {
                while !Task.isCancelled {
                    try await Task.sleep(for: interval)
                    continuation.yield(.keepAlive)
                }
            }
            defer { probe.cancel() }
            do {
                for await item in items {
                    switch item {
                    case .message(let message):
                        try await writer.write(
                            ByteBuffer(string: ServerSentEvents.event(data: message.serializedString, event: "message")))
                    case .keepAlive:
                        try await writer.write(ByteBuffer(string: ServerSentEvents.keepAlive))
                    }
                }
            } catch {
                // The client closed its stream: for a modern client that is the cancellation of the request.
                work.cancel()
                continuation.finish()
            }
        }
    }
}
