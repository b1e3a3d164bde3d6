import MCPCore

/// Era negotiation and request framing over a `ChannelPeer`, shared by the stdio and legacy SSE backends.
struct ChannelNegotiation {
    let peer: ChannelPeer
    let clientInfo: JSONValue
    let timeout: Duration

    /// `server/discover`: the modern description, or nil when the backend does not speak the modern era.
    /// A server may fix the era of a channel with its first request, so after nil the caller opens a new channel
    /// for `initialize`.
    func discover() async throws -> BackendDescription? {
        let discover = try await ask(
            "server/discover",
            BackendNegotiation.modernParams(
                [:], version: MCPProtocol.latestModernVersion, clientCapabilities: BackendNegotiation.relayedCapabilities,
                clientInfo: clientInfo))
        guard case .success(let result) = discover else { return nil }
        return BackendNegotiation.description(fromDiscover: result)
    }

    /// `initialize` and `notifications/initialized`.
    func initialize() async throws -> BackendDescription {
        let initialize = try await ask(
            "initialize",
            BackendNegotiation.initializeParams(capabilities: BackendNegotiation.relayedCapabilities, clientInfo: clientInfo))
        switch initialize {
        case .success(let result):
            let description = try BackendNegotiation.description(fromInitialize: result)
            try await peer.notify(method: "notifications/initialized", params: nil)
            return description
        case .failure(let failure):
            throw BackendError.protocolViolation("initialize failed: \(failure.message)")
        }
    }

    private func ask(_ method: String, _ params: JSONValue) async throws -> Result<JSONValue, JSONRPC.Failure> {
        let peer = self.peer
        do {
            return try await withTimeout(timeout) {
                try await peer.request(method: method, params: params, observer: SilentObserver())
            }
        } catch is TimeoutExpired {
            throw BackendError.timedOut(timeout)
        }
    }

    /// Connects over a fresh channel: `server/discover`, else `initialize` on another fresh channel, because a
    /// server may fix a channel's era with its first request. A backend known to be handshake-era skips the first try.
    static func connect(
        knownEra: ProtocolEra?, clientInfo: JSONValue, notifications: @escaping @Sendable (BackendNotification) -> Void,
        open: @Sendable () async throws -> ChannelPeer, close: @Sendable () async -> Void
    ) async throws -> BackendDescription {
        if knownEra?.isModern != false {
            let peer = try await open()
            await peer.setNotificationHandler(notifications)
            if let modern = try await ChannelNegotiation(peer: peer, clientInfo: clientInfo, timeout: .seconds(30)).discover() {
                return modern
            }
            await close()
        }
        let peer = try await open()
        await peer.setNotificationHandler(notifications)
        return try await ChannelNegotiation(peer: peer, clientInfo: clientInfo, timeout: .seconds(30)).initialize()
    }

    /// Sends a client request in the negotiated era, within its timeout.
    static func send(
        _ request: BackendRequest, era: ProtocolEra, clientInfo: JSONValue, peer: ChannelPeer,
        observer: any BackendRequestObserver
    ) async throws -> Result<JSONValue, JSONRPC.Failure> {
        let params: JSONValue
        switch era {
        case .modern(let version):
            params = BackendNegotiation.modernParams(
                request.params, version: version, clientCapabilities: request.clientCapabilities, clientInfo: clientInfo)
        case .handshake:
            params = request.params
        }
        return try await request.withinTimeout {
            try await peer.request(method: request.method, params: params, observer: observer)
        }
    }
}
