import MCPCore

/// An OAuth backend for a caller who has not signed in there: it offers nothing, and a call to it asks the caller to
/// sign in (at `url`, the gateway's page for it). The backend registry holds one of these as a configured OAuth
/// backend's place among the global backends (with its `definition`); each caller gets their own instance of the
/// backend in its stead. A member-defined OAuth backend is one of these for each caller not signed in there.
final class SignInRequiredBackend: Backend {
    let name: String
    let url: String
    /// The configured backend it holds the place of; nil for a member-defined one.
    let definition: BackendDefinition?

    init(definition: BackendDefinition, url: String) {
        self.name = definition.name
        self.url = url
        self.definition = definition
    }

    init(name: String, url: String) {
        self.name = name
        self.url = url
        self.definition = nil
    }

    func connect(notifications: @escaping @Sendable (BackendNotification) -> Void) async throws -> BackendDescription {
        BackendDescription(
            era: .modern(version: MCPProtocol.latestModernVersion), serverInfo: nil, capabilities: [:], instructions: nil)
    }

    func send(_ request: BackendRequest, observer: any BackendRequestObserver) async throws -> Result<
        JSONValue, JSONRPC.Failure
    > {
        throw AuthorizationRequired(backend: name, url: url)
    }

    func endSession(_ key: String) async {}

    func shutdown() async {}
}
