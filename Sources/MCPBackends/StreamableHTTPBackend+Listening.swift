import AsyncHTTPClient
import MCPCore
import NIOCore
import NIOHTTP1

/// How a Streamable HTTP backend's list changes reach the gateway outside any request.
extension StreamableHTTPBackend {
    /// Handshake-era backends that announce list changes send them on a GET stream of the shared session.
    func startListening(_ description: BackendDescription) {
        let announcesChanges = ["tools", "prompts", "resources"].contains {
            description.capabilities[$0]?["listChanged"]?.boolValue == true
        }
        guard announcesChanges, let handler = notificationHandler else { return }
        let era = description.era
        let capabilities = description.capabilities
        listener = Task { [weak self] in
            var delay = Duration.seconds(1)
            while !Task.isCancelled, let self {
                let opened: Bool
                switch era {
                case .modern(let version):
                    opened = await self.subscribe(version: version, capabilities: capabilities, handler: handler)
                case .handshake:
                    guard let session = try? await self.session(for: "") else { return }
                    opened = await self.listen(session: session, handler: handler)
                }
                if !opened { return }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(60))
            }
        }
    }

    /// A modern backend's list changes come on a `subscriptions/listen` stream; false when it offers none.
    func subscribe(version: String, capabilities: JSONValue, handler: @escaping @Sendable (BackendNotification) -> Void)
        async
        -> Bool
    {
        var filter: [String: JSONValue] = [:]
        for (capability, key) in [
            ("tools", "toolsListChanged"), ("prompts", "promptsListChanged"), ("resources", "resourcesListChanged"),
        ]
        where capabilities[capability]?["listChanged"]?.boolValue == true {
            filter[key] = true
        }
        let params = BackendNegotiation.modernParams(
            ["notifications": .object(filter)], version: version, clientCapabilities: [:], clientInfo: clientInfo)
        var request = HTTPClientRequest(url: exchange.url)
        request.method = .POST
        for (name, value) in exchange.headers { request.headers.add(name: name, value: value) }
        request.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        request.headers.replaceOrAdd(name: "Accept", value: "application/json, text/event-stream")
        request.headers.replaceOrAdd(name: MCPProtocol.Header.protocolVersion, value: version)
        request.headers.replaceOrAdd(name: MCPProtocol.Header.method, value: "subscriptions/listen")
        request.body = .bytes(
            ByteBuffer(bytes: JSONRPC.request(id: newID(), method: "subscriptions/listen", params: params).serializedBytes()))
        guard let response = try? await exchange.client.execute(request, timeout: .hours(24)) else { return true }
        guard response.status == .ok,
            response.headers.first(name: "Content-Type")?.lowercased().hasPrefix("text/event-stream") == true
        else { return false }
        await readNotifications(response.body, handler: handler)
        return true
    }

    /// Reads the session's GET stream until it ends; returns false when the backend offers none.
    func listen(session: HandshakeSession, handler: @escaping @Sendable (BackendNotification) -> Void) async -> Bool {
        var request = HTTPClientRequest(url: exchange.url)
        request.method = .GET
        for (name, value) in exchange.headers { request.headers.add(name: name, value: value) }
        request.headers.replaceOrAdd(name: "Accept", value: "text/event-stream")
        request.headers.replaceOrAdd(name: MCPProtocol.Header.protocolVersion, value: session.version)
        if let id = session.id { request.headers.replaceOrAdd(name: MCPProtocol.Header.sessionID, value: id) }
        guard let response = try? await exchange.client.execute(request, timeout: .hours(24)) else { return true }
        guard response.status == .ok else { return response.status != .methodNotAllowed }
        await readNotifications(response.body, handler: handler)
        return true
    }

    /// Passes every notification of an event stream to `handler`, until the stream ends.
    func readNotifications(_ body: HTTPClientResponse.Body, handler: @escaping @Sendable (BackendNotification) -> Void)
        async
    {
        var decoder = ServerSentEventDecoder(maximumLineLength: HTTPExchange.maximumBodyBytes)
        do {
            for try await chunk in body {
                for event in try decoder.feed(chunk.readableBytesView) {
                    guard let value = try? JSONValue.parse(Array(event.data.utf8)),
                        case .notification(let method, let params)? = try? JSONRPC.classify(value)
                    else { continue }
                    handler(BackendNotification(method: method, params: params))
                }
            }
        } catch {
            logger.debug("backend notification stream ended: \(error)")
        }
    }
}
