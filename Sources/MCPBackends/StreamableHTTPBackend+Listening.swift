import MCPCore
import NIOCore
import NIOHTTP1
import OutboundHTTP

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
        guard
            let request = try? await exchange.authorized(
                .POST,
                extra: [
                    ("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream"),
                    (MCPProtocol.Header.protocolVersion, version), (MCPProtocol.Header.method, "subscriptions/listen"),
                ],
                body: JSONRPC.request(id: newID(), method: "subscriptions/listen", params: params)
            ).0
        else { return false }
        guard let answer = try? await openStream(request) else { return true }
        guard case .stream(let head, let body) = answer, head.status == 200 else { return false }
        await readNotifications(body, handler: handler)
        return true
    }

    /// Reads the session's GET stream until it ends; returns false when the backend offers none.
    func listen(session: HandshakeSession, handler: @escaping @Sendable (BackendNotification) -> Void) async -> Bool {
        var extra = [("Accept", "text/event-stream"), (MCPProtocol.Header.protocolVersion, session.version)]
        if let id = session.id { extra.append((MCPProtocol.Header.sessionID, id)) }
        guard let request = try? await exchange.authorized(.GET, extra: extra).0 else { return false }
        guard let answer = try? await openStream(request) else { return true }
        switch answer {
        case .stream(let head, let body) where head.status == 200:
            await readNotifications(body, handler: handler)
            return true
        case .stream(let head, _):
            return head.status != 405
        case .whole(let response):
            return response.status != 405
        }
    }

    /// A listening stream: an event stream is read as it comes; anything else (a refusal) is read whole.
    private func openStream(_ request: OutboundRequest) async throws -> OutboundAnswer {
        try await exchange.http.exchange(request, limit: HTTPExchange.errorBodyBytes) { head in
            head.hasMediaType("text/event-stream")
        }
    }

    /// Passes every notification of an event stream to `handler`, until the stream ends.
    func readNotifications(_ body: OutboundBody, handler: @escaping @Sendable (BackendNotification) -> Void)
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
