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
                        case .message(let message), .answer(let message, _): try await send(message)
                        case .keepAlive, .openStream: try await writer.write(ByteBuffer(string: ServerSentEvents.keepAlive))
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

    // MARK: routed calls

    /// Answers a call routed to a backend, from one task that the client's departure, a stopping server and the
    /// backend's timeout all stop. A call answered without a word on the way is answered as plain JSON in one write;
    /// one that sends notifications or questions first, or takes longer than `streamAfter`, is answered on an event
    /// stream (when `mayStream` and the client accepts one), with keep-alives while it runs.
    func answerCall(
        call incoming: ClientCall, sessionID: String?, request: Request, mayStream: Bool, channel: (any Channel)?,
        finish: @escaping @Sendable (Result<JSONValue, JSONRPC.Failure>) -> (JSONValue, HTTPResponse.Status),
        _ answer: @escaping @Sendable (ClientCall) async -> Result<JSONValue, JSONRPC.Failure>
    ) async -> Response {
        let acceptsEventStream = MCPResponses.accepts(request, "text/event-stream")
        let streamable = mayStream && acceptsEventStream
        let (items, continuation) = AsyncStream<StreamItem>.makeStream()
        let scope = CallScope(eventLoop: channel?.eventLoop)
        var call = incoming
        call.scope = scope
        if streamable {
            call.observer = ClientStreamObserver(
                stream: continuation, sessions: sessions, sessionID: sessionID, clientCapabilities: call.clientCapabilities)
        }
        let work = Task { [call] in
            let (message, status) = finish(await answer(call))
            scope.finish()
            continuation.yield(.answer(message, status))
            continuation.finish()
        }
        scope.attach(work)
        let connection = channel.map(ClientConnection.of)
        connection?.watch(scope)
        if streamable { scope.schedule(after: streamAfter) { continuation.yield(.openStream) } }

        var iterator = items.makeAsyncIterator()
        var first = await withTaskCancellationHandler {
            await iterator.next()
        } onCancel: {
            work.cancel()
        }
        while streamable == false, let item = first, !item.isAnswer {
            first = await iterator.next()
        }
        guard let first else {
            connection?.unwatch(scope)
            return MCPResponses.rpcError(
                .init(code: JSONRPC.internalError, message: "The call ended without an answer"), status: .ok)
        }
        if case .answer(let message, let status) = first {
            connection?.unwatch(scope)
            if acceptsEventStream && !MCPResponses.accepts(request, "application/json") {
                return MCPResponses.message(message, streaming: true, sessionID: sessionID)
            }
            return MCPResponses.json(message, status: status, sessionID: sessionID)
        }
        let keepAliveInterval = self.keepAliveInterval
        return MCPResponses.eventStream(sessionID: sessionID) { writer in
            defer { connection?.unwatch(scope) }
            let keepAlive = scope.eventLoop.scheduleRepeatedTask(
                initialDelay: .nanoseconds(keepAliveInterval.nanoseconds), delay: .nanoseconds(keepAliveInterval.nanoseconds)
            ) { _ in continuation.yield(.keepAlive) }
            defer { keepAlive.cancel() }
            do {
                try await Self.write(first, to: &writer)
                for await item in items {
                    try await Self.write(item, to: &writer)
                    if item.isAnswer { break }
                }
            } catch {
                // The client closed its stream: for a modern client that is the cancellation of the request.
                scope.stop(.clientGone)
                continuation.finish()
            }
        }
    }

    private static func write(_ item: StreamItem, to writer: inout any ResponseBodyWriter) async throws {
        switch item {
        case .message(let message), .answer(let message, _):
            try await writer.write(
                ByteBuffer(string: ServerSentEvents.event(data: message.serializedString, event: "message")))
        case .keepAlive:
            try await writer.write(ByteBuffer(string: ServerSentEvents.keepAlive))
        case .openStream:
            // The stream's headers are out; the first keep-alive follows within the interval.
            try await writer.write(ByteBuffer(string: ServerSentEvents.keepAlive))
        }
    }
}
