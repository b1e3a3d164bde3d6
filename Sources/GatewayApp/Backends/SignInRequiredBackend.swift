import MCPCore

/// An OAuth backend for a caller who has not signed in there: it offers nothing, and a call to it asks the caller to
/// sign in (at `url`, the gateway's page for it). The backend registry holds one of these as the OAuth backend's
/// place among the global backends; each caller gets their own instance of the backend in its stead.
final class SignInRequiredBackend: Backend {
    let definition: BackendDefinition
    let url: String

    init(definition: BackendDefinition, url: String) {
        self.definition = definition
        self.url = url
    }

    func connect(notifications: @escaping @Sendable (BackendNotification) -> Void) async throws -> BackendDescription {
        BackendDescription(
            era: .modern(version: MCPProtocol.latestModernVersion), serverInfo: nil, capabilities: [:], instructions: nil)
    }

    func send(_ request: BackendRequest, observer: any BackendRequestObserver) async throws -> Result<
        JSONValue, JSONRPC.Failure
    > {
        throw AuthorizationRequired(backend: definition.name, url: url)
    }

    func endSession(_ key: String) async {}

    func shutdown() async {}
}
