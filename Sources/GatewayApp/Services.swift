import Foundation
import MCPGateway
import OAuthServer
import ServiceLifecycle

/// Releases the metadata-document fetcher's HTTP client when the server stops.
struct MetadataResolverShutdown: Service {
    let resolver: ClientMetadataDocumentResolver

    func run() async throws {
        try? await gracefulShutdown()
        await resolver.shutdown()
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
