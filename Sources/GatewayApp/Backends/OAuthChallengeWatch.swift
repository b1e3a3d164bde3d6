import MCPCore

/// A plain HTTP backend that may turn out to be OAuth-protected: the first 401 naming its RFC 9728 metadata is
/// reported (the reloader then runs it as an OAuth backend, each caller signed in as themselves).
final class OAuthChallengeWatch: Backend {
    let inner: any Backend
    let onChallenge: @Sendable (OAuthChallenge) -> Void

    init(_ inner: any Backend, onChallenge: @escaping @Sendable (OAuthChallenge) -> Void) {
        self.inner = inner
        self.onChallenge = onChallenge
    }

    func connect(notifications: @escaping @Sendable (BackendNotification) -> Void) async throws -> BackendDescription {
        do {
            return try await inner.connect(notifications: notifications)
        } catch let challenge as OAuthChallenge {
            onChallenge(challenge)
            throw challenge
        }
    }

    func send(_ request: BackendRequest, observer: any BackendRequestObserver) async throws -> Result<
        JSONValue, JSONRPC.Failure
    > {
        do {
            return try await inner.send(request, observer: observer)
        } catch let challenge as OAuthChallenge {
            onChallenge(challenge)
            throw challenge
        }
    }

    func endSession(_ key: String) async { await inner.endSession(key) }

    func shutdown() async { await inner.shutdown() }
}
