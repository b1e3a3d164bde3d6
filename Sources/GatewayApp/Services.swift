import Accounts
import Foundation
import Logging
import MCPGateway
import OAuthServer
import OutboundHTTP
import ServiceLifecycle
import UpstreamAuth

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

/// Connects every backend at start, checks them in the background, and stops them (and their HTTP client) last.
struct BackendSupervisor: Service {
    let registry: BackendRegistry
    let http: OutboundHTTP
    let interval: Duration
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await registry.checkAll()
                try await Task.sleep(for: interval)
            }
        }
        await registry.shutdown()
        await http.shutdown()
    }
}

/// Writes audit events in batches while the server runs, and what is left when it stops.
struct AuditWriter: Service {
    let recorder: AuditRecorder

    func run() async throws {
        await withGracefulShutdownHandler {
            await recorder.run()
        } onGracefulShutdown: {
            recorder.stop()
        }
    }
}

/// Re-reads the member backends now and then (the command line changes them behind the server's back), disconnects
/// those nobody used for their idle time, and stops them all at shutdown (before the backends' HTTP client, which the
/// supervisor, listed earlier, shuts down after this service has finished).
struct MemberBackendJanitor: Service {
    let pool: MemberBackendPool
    let interval: Duration

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                await pool.reload()
                await pool.closeIdle()
            }
        }
        await pool.shutdown()
    }
}

/// Stops callers' OAuth backend instances that went unused, and those of backends no longer configured; and, once per
/// `sweepEvery`, revokes the upstream sign-ins of members who left the community (in no allowed guild any more).
struct UpstreamBackendJanitor: Service {
    let pool: UpstreamBackendPool
    let authorizations: UpstreamAuthorizations
    let members: MemberBackendPool
    let interval: Duration
    let sweepEvery: Duration

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var lastSweep = ContinuousClock.now
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                await pool.closeIdle()
                guard ContinuousClock.now - lastSweep >= sweepEvery else { continue }
                lastSweep = .now
                await sweepDepartedMembers()
            }
        }
        await pool.shutdownAll()
    }

    func sweepDepartedMembers() async {
        for user in await authorizations.usersWithGrants() where user != Viewer.operatorUserID {
            if await !members.resolve(for: user).reachesGlobalBackends {
                await authorizations.disconnectAll(userID: user)
            }
        }
    }
}
