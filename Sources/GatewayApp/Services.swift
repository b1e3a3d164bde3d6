import AsyncHTTPClient
import Foundation
import MCPGateway
import ServiceLifecycle

/// Shuts the outbound HTTP client down when the server stops.
struct HTTPClientService: Service {
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}

/// Expires idle MCP sessions, and on shutdown ends every session so that no open stream holds the server up.
struct SessionJanitor: Service {
    let sessions: SessionRegistry
    let interval: Duration

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                await sessions.expireIdle()
            }
        }
        await sessions.closeAll()
    }
}
