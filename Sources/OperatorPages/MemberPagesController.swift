import Accounts
import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import OAuthServer
import UpstreamAuth

/// `/me`: a member signs in with Discord and sees the backends they may use, adds their own (or, as a guild's backend
/// admin, one for the guild), removes those they manage, and fills in their own values of shared backends' member
/// headers. Every form carries the session's CSRF token; the sign-in is bound to the browser like the consent page's.
public struct MemberPagesController<Context: RequestContext>: Sendable {
    /// What member sessions are bound to (the operator's `/admin` sessions are bound to the password instead).
    static var binding: String { "member" }
    static var formLimit: Int { 8 * 1024 }

    let library: MustacheLibrary
    let signIn: (any MemberSignIn)?
    let service: MemberBackendService
    let viewers: ViewerResolver
    let users: any UserStore
    let sessions: PageSessions
    let issuer: String
    let sessionCookie: PageCookie
    let formCookie: PageCookie
    let signInCookie: PageCookie
    let pending = PendingSignIns()
    /// Members' sign-ins at OAuth-protected upstream backends; nil when none is configured.
    let upstream: UpstreamAuthorizations?
    /// Whether the browser holds the operator's `/admin` session: the operator connects upstream backends as well.
    let operatorSignedIn: @Sendable (Request) async -> Bool

    public static var requiredTemplates: [String] { ["me"] }
    public static var callbackPath: String { "/me/discord/callback" }

    public init(
        library: MustacheLibrary, signIn: (any MemberSignIn)?, service: MemberBackendService, viewers: ViewerResolver,
        users: any UserStore, sessions: PageSessions, issuer: String, upstream: UpstreamAuthorizations? = nil,
        operatorSignedIn: @escaping @Sendable (Request) async -> Bool = { _ in false }
    ) {
        self.upstream = upstream
        self.operatorSignedIn = operatorSignedIn
        self.library = library
        self.signIn = signIn
        self.service = service
        self.viewers = viewers
        self.users = users
        self.sessions = sessions
        self.issuer = issuer
        let secure = issuer.hasPrefix("https://")
        sessionCookie = PageCookie("mcpgw_me", secure: secure)
        formCookie = PageCookie("mcpgw_me_form", secure: secure)
        signInCookie = PageCookie("mcpgw_me_signin", secure: secure)
    }

    public func addRoutes(to router: some RouterMethods<Context>) {
        router.get("/me") { request, _ in await show(request) }
        router.post("/me/sign-in") { request, _ in await startSignIn(request) }
        router.get(RouterPath(Self.callbackPath)) { request, _ in await callback(request) }
        router.post("/me/sign-out") { request, _ in await signOut(request) }
        router.post("/me/backends") { request, _ in await addBackend(request) }
        router.post("/me/backends/remove") { request, _ in await removeBackend(request) }
        router.post("/me/credentials") { request, _ in await setCredential(request) }
        addUpstreamRoutes(to: router)
    }

    // MARK: signing in and out

    /// The page; `refilled` puts a refused form's name and URL back (never its header, whose value is a secret).
    func show(
        _ request: Request, error: String? = nil, notice: String? = nil, status: HTTPResponse.Status = .ok,
        refilled: FormBody? = nil
    ) async -> Response {
        guard let (_, session) = await currentSession(request) else { return signInPage(error: error, status: status) }
        guard let viewer = await viewers.viewer(session.subject) else {
            return signInPage(error: "You are no longer a member of a server this gateway serves.", status: .forbidden)
        }
        let user = try? await users.user(id: session.subject)
        var items: [[String: Any]] = []
        for backend in (try? await service.backends(for: viewer)) ?? [] {
            let set = await service.memberCredentialsSet(backend, userID: viewer.userID)
            let owner =
                backend.ownerID == viewer.userID ? "you" : ((try? await users.user(id: backend.ownerID))?.name ?? "someone")
            items.append([
                "id": backend.id, "name": backend.name, "scope_label": Self.label(backend.scope),
                "location": backend.transport.url ?? "command", "owner_name": owner,
                "headers": backend.sealedHeaders.keys.sorted(), "oauth": backend.oauth != nil,
                "member_headers": backend.memberHeaders.map { header -> [String: Any] in
                    ["header": header, "backend_id": backend.id, "state": set.contains(header) ? "set" : "not set"]
                },
                "can_manage": ScopePolicy.mayManage(backend.scope, viewer: viewer),
            ])
        }
        var adminGuilds: [String] = []
        if case .member(let standing) = viewer {
            adminGuilds = standing.guilds.values.filter(\.isBackendAdmin).map(\.guildID).sorted()
        }
        let upstreamItems = await upstreamBackends(for: viewer)
        let context: [String: Any] = [
            "signed_in": true, "user_name": user?.name ?? session.subject, "csrf_token": session.csrfToken,
            "upstream_backends": upstreamItems, "has_upstream_backends": !upstreamItems.isEmpty,
            "backends": items, "admin_guilds": adminGuilds, "error": error ?? "", "has_error": error != nil,
            "notice": notice ?? "", "has_notice": notice != nil, "form_name": refilled?["name"] ?? "",
            "form_url": refilled?["url"] ?? "",
        ]
        return PageResponses.html(library.render(context, withTemplate: "me") ?? "me template missing", status: status)
    }

    /// The signed-out page: its form's CSRF token is also in a short-lived cookie, and the two must match.
    func signInPage(error: String?, status: HTTPResponse.Status = .ok) -> Response {
        let token = TokenCrypto.generateToken()
        let context: [String: Any] = [
            "signed_in": false, "csrf_token": token, "error": error ?? "", "has_error": error != nil,
        ]
        var headers = HTTPFields()
        headers[.setCookie] = formCookie.set(token, maxAge: 600)
        return PageResponses.html(
            library.render(context, withTemplate: "me") ?? "me template missing", status: status, headers: headers,
            formsMayRedirectAway: true)
    }

    func startSignIn(_ incoming: Request) async -> Response {
        var request = incoming
        guard let signIn else {
            return signInPage(error: "Signing in with Discord is not set up on this gateway.", status: .notFound)
        }
        guard let form = await PageForm.read(&request, limit: Self.formLimit), let posted = form["csrf_token"],
            let expected = request.cookies[formCookie.name]?.value,
            TokenCrypto.constantTimeEquals(posted, expected)
        else { return signInPage(error: "The form expired; try again.", status: .badRequest) }
        let (secret, verifier) = await pending.start(now: Date())
        let location = signIn.authorizationURL(
            state: secret, codeChallenge: PKCE.challenge(for: verifier), redirectURI: issuer + Self.callbackPath)
        var headers = HTTPFields()
        headers.append(HTTPField(name: .setCookie, value: signInCookie.set(secret, maxAge: 600)))
        headers.append(HTTPField(name: .setCookie, value: formCookie.deleted))
        return PageResponses.seeOther(location, headers: headers)
    }

    func callback(_ request: Request) async -> Response {
        guard let signIn else { return signInPage(error: "Signing in with Discord is not set up.", status: .notFound) }
        let query = FormBody(request.uri.query ?? "")
        guard query.repeated.isEmpty, let state = query["state"], let cookie = request.cookies[signInCookie.name]?.value,
            TokenCrypto.constantTimeEquals(state, cookie), let verifier = await pending.finish(secret: state, now: Date())
        else {
            return signInPage(
                error: "This sign-in is no longer valid (used, expired, or started in another browser). Sign in again.",
                status: .badRequest)
        }
        guard let code = query["code"] else {
            return signInPage(error: "Discord sign-in was cancelled.", status: .badRequest)
        }
        switch await signIn.complete(code: code, codeVerifier: verifier, redirectURI: issuer + Self.callbackPath) {
        case .refused(let message):
            return signInPage(error: message, status: .forbidden)
        case .failed(let message):
            return signInPage(error: message, status: .badGateway)
        case .signedIn(let subject):
            let (id, _) = await sessions.create(now: Date(), passwordFingerprint: Self.binding, subject: subject)
            var headers = HTTPFields()
            headers.append(HTTPField(name: .setCookie, value: sessionCookie.set(id, maxAge: nil)))
            headers.append(HTTPField(name: .setCookie, value: signInCookie.deleted))
            return PageResponses.seeOther("/me", headers: headers)
        }
    }

    func signOut(_ incoming: Request) async -> Response {
        var request = incoming
        if let (id, session) = await currentSession(request), let form = await PageForm.read(&request, limit: Self.formLimit),
            session.isCarried(by: form)
        {
            await sessions.end(id: id)
        }
        return PageResponses.seeOther("/me", headers: [.setCookie: sessionCookie.deleted])
    }

    // MARK: backends

    func addBackend(_ incoming: Request) async -> Response {
        await change(incoming) { (form, viewer) async throws(MemberBackendError) -> String in
            var input = BackendInput(
                name: form["name"], transport: form["transport"] ?? "streamable_http", url: form["url"])
            let scope = form["scope"] ?? "user"
            if scope.hasPrefix("guild:") {
                input.scope = .init(kind: "guild", guildID: String(scope.dropFirst("guild:".count)))
            } else if scope != "user" {
                throw MemberBackendError(.invalid, "choose who may use it")
            }
            if let header = form["header_name"] {
                guard let value = form["header_value"] else { throw MemberBackendError(.invalid, "give the header a value") }
                input.headers = [header: value]
            }
            if let auth = form["auth"] {
                input.auth = auth
                input.oauthClientID = form["oauth_client_id"]
                input.oauthClientSecret = form["oauth_client_secret"]
            }
            let backend = try await service.create(input, by: viewer)
            return "Added \(backend.name)."
        }
    }

    func removeBackend(_ incoming: Request) async -> Response {
        await change(incoming) { (form, viewer) async throws(MemberBackendError) -> String in
            guard let id = form["backend_id"] else { throw MemberBackendError.notFound }
            let backend = try await service.backend(id: id, for: viewer)
            try await service.delete(id: id, by: viewer)
            return "Removed \(backend.name)."
        }
    }

    func setCredential(_ incoming: Request) async -> Response {
        await change(incoming) { (form, viewer) async throws(MemberBackendError) -> String in
            guard let id = form["backend_id"], let header = form["header"], let value = form["value"] else {
                throw MemberBackendError(.invalid, "fill in the value")
            }
            try await service.setMemberCredential(id: id, header: header, value: value, by: viewer)
            return "Saved your \(header)."
        }
    }

    /// A form post from a signed-in session: its CSRF token checked, then `work`; the page again with what happened.
    func change(
        _ incoming: Request, _ work: (FormBody, Viewer) async throws(MemberBackendError) -> String
    ) async -> Response {
        var request = incoming
        guard let (_, session) = await currentSession(request) else { return PageResponses.seeOther("/me") }
        guard let form = await PageForm.read(&request, limit: Self.formLimit), session.isCarried(by: form) else {
            return await show(request, error: "The form expired; try again.", status: .badRequest)
        }
        guard let viewer = await viewers.viewer(session.subject) else { return PageResponses.seeOther("/me") }
        do {
            let notice = try await work(form, viewer)
            return await show(request, notice: notice)
        } catch {
            return await show(request, error: error.description, status: Self.status(error), refilled: form)
        }
    }

    static func status(_ error: MemberBackendError) -> HTTPResponse.Status {
        switch error.kind {
        case .invalid: .badRequest
        case .notFound: .notFound
        case .forbidden: .forbidden
        case .conflict: .conflict
        case .limit: .contentTooLarge
        }
    }

    static func label(_ scope: BackendScope) -> String {
        switch scope {
        case .global: "everyone"
        case .user: "only me"
        case .guild(let guildID, let roles): roles.isEmpty ? "server \(guildID)" : "server \(guildID), some roles"
        case .channel(_, let channelID): "channel \(channelID)"
        }
    }

    // MARK: sessions and forms

    func currentSession(_ request: Request) async -> (String, PageSessions.Session)? {
        guard let id = request.cookies[sessionCookie.name]?.value, !id.isEmpty,
            let session = await sessions.session(id: id, now: Date(), passwordFingerprint: Self.binding)
        else { return nil }
        return (id, session)
    }

}
