import Accounts
import MCPGateway
import OAuthServer

/// The consent page's choices for a signed-in member: the backends they may reach (the configured ones by name, their
/// member backends by id), one checkbox each.
struct GatewayConsentOptions: ConsentOptions {
    let users: any UserStore
    let registry: BackendRegistry
    let pool: MemberBackendPool

    func options(for subject: String) async -> ConsentSubjectOptions {
        let name = (try? await users.user(id: subject))?.name ?? subject
        let configured = registry.backends.filter { subject == User.operatorID || !$0.settings.operatorOnly }
        var choices = configured.map { backend in
            ConsentChoice(id: backend.settings.name, title: backend.settings.name, detail: "")
        }
        for backend in await pool.visibleDefinitions(for: subject) {
            choices.append(ConsentChoice(id: backend.id, title: backend.name, detail: Self.detail(backend.scope)))
        }
        return ConsentSubjectOptions(displayName: name, choices: choices)
    }

    static func detail(_ scope: BackendScope) -> String {
        switch scope {
        case .global: "everyone's"
        case .user: "yours"
        case .guild: "your server's"
        case .channel: "a channel's"
        }
    }
}
