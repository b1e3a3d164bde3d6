import Accounts
import MCPGateway
import OAuthServer

/// The consent page's choices for a signed-in member: the backends they may reach, one checkbox each.
struct GatewayConsentOptions: ConsentOptions {
    let users: any UserStore
    let registry: BackendRegistry

    func options(for subject: String) async -> ConsentSubjectOptions {
        let name = (try? await users.user(id: subject))?.name ?? subject
        let choices = registry.backends.map { backend in
            ConsentChoice(id: backend.settings.name, title: backend.settings.name, detail: "")
        }
        return ConsentSubjectOptions(displayName: name, choices: choices)
    }
}
