import Accounts
import Foundation
import HTTPTypes
import Hummingbird
import MCPCore
import MCPGateway
import NIOCore
import OAuthServer
import UpstreamAuth

/// `/admin`: the operator's pages behind the operator password. A signed-in session is a cookie (`__Host-`, Secure,
/// when the gateway is served over https; always HttpOnly and SameSite=Lax); every form carries the session's
/// CSRF token; wrong passwords are throttled like on the consent page. A session is bound to the password it signed
/// in with: changing the password (here or with `mcp-gateway password set`) ends every other session.
public struct AdminController<Context: ClientAddressRequestContext>: Sendable {
    let queries: any OperatorQueries
    let grants: CachingGrantStore
    let registry: BackendRegistry
    let pages: AdminPages
    let password: OperatorPasswordCheck
    let operatorPassword: any OperatorPasswordChanger
    let secureCookies: Bool
    let sessions = PageSessions()
    /// Shared with the consent page: one budget of wrong passwords per client address, wherever they are typed.
    let throttle: ConsentThrottle
    /// Members and every member backend, which the operator sees and may remove.
    let members: MemberBackendService?
    let users: (any UserStore)?
    /// The operator's own sign-ins at OAuth-protected backends.
    let upstream: UpstreamAuthorizations?
    let now: @Sendable () -> Date = Date.init

    public init(
        queries: any OperatorQueries, grants: CachingGrantStore, registry: BackendRegistry, pages: AdminPages,
        password: OperatorPasswordCheck, operatorPassword: any OperatorPasswordChanger, secureCookies: Bool,
        throttle: ConsentThrottle, members: MemberBackendService? = nil, users: (any UserStore)? = nil,
        upstream: UpstreamAuthorizations? = nil
    ) {
        self.upstream = upstream
        self.members = members
        self.users = users
        self.queries = queries
        self.grants = grants
        self.registry = registry
        self.pages = pages
        self.password = password
        self.operatorPassword = operatorPassword
        self.secureCookies = secureCookies
        self.throttle = throttle
    }

    static var formLimit: Int { 4096 }
    var sessionCookie: PageCookie { PageCookie("mcpgw_admin", secure: secureCookies) }
    var loginCookie: PageCookie { PageCookie("mcpgw_login", secure: secureCookies) }

    public func addRoutes(to router: some RouterMethods<Context>) {
        router.get("/admin/login") { request, _ in await showLogin(request) }
        router.post("/admin/login") { request, context in await signIn(request, context: context) }
        router.post("/admin/logout") { request, _ in await signOut(request) }
        router.get("/admin") { request, _ in await showDashboard(request) }
        router.post("/admin/clients/revoke") { request, context in await revokeClient(request, context: context) }
        router.post("/admin/backends/remove") { request, context in await removeBackend(request, context: context) }
        router.post("/admin/password") { request, context in await changePassword(request, context: context) }
    }

    // MARK: signing in and out

    private func showLogin(_ request: Request) async -> Response {
        if await currentSession(request) != nil { return AdminPages.seeOther("/admin") }
        let notice = request.uri.queryParameters["notice"] == "signed_out" ? "Signed out." : nil
        return loginPage(error: nil, notice: notice)
    }

    /// A fresh login form: its CSRF token is also in a short-lived cookie, and the two must match when posted.
    private func loginPage(error: String?, notice: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        let token = TokenCrypto.generateToken()
        var headers = HTTPFields()
        headers[.setCookie] = loginCookie.set(token, maxAge: 600)
        return pages.login(csrfToken: token, error: error, notice: notice, status: status, headers: headers)
    }

    private func signIn(_ incoming: Request, context: Context) async -> Response {
        var request = incoming
        let throttleKey = context.clientAddress ?? "unknown"
        if let wait = await throttle.retryAfter(throttleKey, now: now()) { return tooManyAttempts(wait) }
        guard let form = await PageForm.read(&request, limit: Self.formLimit) else {
            return loginPage(error: "The form must be posted as a form.", status: .badRequest)
        }
        guard let posted = form["csrf_token"], let expected = request.cookies[loginCookie.name]?.value,
            TokenCrypto.constantTimeEquals(posted, expected)
        else {
            return loginPage(error: "The sign-in form expired. Type the password again.", status: .badRequest)
        }
        guard await password.verify(form["password"] ?? ""), let fingerprint = await currentPasswordFingerprint() else {
            switch await throttle.recordFailure(throttleKey, now: now()) {
            case .lockedOut(let seconds):
                context.logger.warning("admin password lockout", metadata: ["remote": "\(throttleKey)"])
                return tooManyAttempts(seconds)
            case .slowDown(let delay):
                try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
            }
            return loginPage(error: "Wrong password.", status: .unauthorized)
        }
        await throttle.recordSuccess(throttleKey)
        let (id, _) = await sessions.create(now: now(), passwordFingerprint: fingerprint)
        context.logger.info("operator signed in to /admin")
        var headers = HTTPFields()
        headers.append(HTTPField(name: .setCookie, value: sessionCookie.set(id, maxAge: nil)))
        headers.append(HTTPField(name: .setCookie, value: loginCookie.deleted))
        return AdminPages.seeOther("/admin", headers: headers)
    }

    private func signOut(_ incoming: Request) async -> Response {
        var request = incoming
        guard let (id, session) = await currentSession(request) else { return AdminPages.seeOther("/admin/login") }
        guard let form = await PageForm.read(&request, limit: Self.formLimit), session.isCarried(by: form) else {
            return refusedForm()
        }
        await sessions.end(id: id)
        var headers = HTTPFields()
        headers[.setCookie] = sessionCookie.deleted
        return AdminPages.seeOther("/admin/login?notice=signed_out", headers: headers)
    }

    // MARK: the dashboard

    private func showDashboard(_ request: Request) async -> Response {
        guard let (_, session) = await currentSession(request) else { return AdminPages.seeOther("/admin/login") }
        let query = request.uri.queryParameters
        func filter(_ name: String) -> String? {
            guard let value = query.get(name)?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
                return nil
            }
            return String(value.prefix(200))
        }
        let filters = AuditQuery(backend: filter("backend"), tool: filter("tool"), clientID: filter("client"), limit: 50)
        let at = now()
        // Listing first gives each backend's tool count even before any client asked (bounded by the list timeout).
        _ = await registry.merged(.tools)
        do {
            let allUsers = (try? await users?.users()) ?? []
            let memberBackends = (try? await members?.backends(for: .operator)) ?? []
            var view = AdminDashboard(
                now: at, csrfToken: session.csrfToken, backends: await registry.status(),
                users: allUsers, memberBackends: memberBackends,
                clients: try await queries.clientSummaries(now: at), audit: try await queries.auditEvents(filters),
                filters: filters, notice: AdminDashboard.notice(query["notice"].map(String.init)),
                password: operatorPassword.passwordState)
            view.oauthBackends = await operatorsSignIns()
            return pages.dashboard(view.context)
        } catch {
            return pages.html(
                "<p>The database could not be read: try again.</p>", status: .serviceUnavailable, headers: [:])
        }
    }

    private func revokeClient(_ incoming: Request, context: Context) async -> Response {
        var request = incoming
        guard let (_, session) = await currentSession(request) else { return AdminPages.seeOther("/admin/login") }
        guard let form = await PageForm.read(&request, limit: Self.formLimit), session.isCarried(by: form) else {
            return refusedForm()
        }
        guard let clientID = form["client_id"], (try? await queries.removeClient(id: clientID)) == true else {
            return AdminPages.seeOther("/admin?notice=no_such_client")
        }
        grants.forgetAll()
        context.logger.info("operator revoked a client", metadata: ["client_id": "\(clientID)"])
        return AdminPages.seeOther("/admin?notice=revoked")
    }

    /// Removes a member backend (any scope, any owner): the operator manages everything.
    private func removeBackend(_ incoming: Request, context: Context) async -> Response {
        var request = incoming
        guard let (_, session) = await currentSession(request) else { return AdminPages.seeOther("/admin/login") }
        guard let form = await PageForm.read(&request, limit: Self.formLimit), session.isCarried(by: form) else {
            return refusedForm()
        }
        guard let members, let id = form["backend_id"] else { return AdminPages.seeOther("/admin?notice=no_such_backend") }
        do {
            try await members.delete(id: id, by: .operator)
        } catch {
            return AdminPages.seeOther("/admin?notice=no_such_backend#member-backends")
        }
        context.logger.info("operator removed a member backend", metadata: ["backend": "\(id)"])
        return AdminPages.seeOther("/admin?notice=backend_removed#member-backends")
    }

    // MARK: the password

    /// Changes the stored password (the current one must be typed again; throttled like signing in). This session
    /// stays signed in; every other ends. With "revoke_grants", every connected application must be approved again.
    private func changePassword(_ incoming: Request, context: Context) async -> Response {
        var request = incoming
        guard let (id, session) = await currentSession(request) else { return AdminPages.seeOther("/admin/login") }
        guard let form = await PageForm.read(&request, limit: Self.formLimit), session.isCarried(by: form) else {
            return refusedForm()
        }
        let throttleKey = context.clientAddress ?? "unknown"
        if await throttle.retryAfter(throttleKey, now: now()) != nil {
            return AdminPages.seeOther("/admin?notice=password_throttled#password")
        }
        let new = form["new_password"] ?? ""
        guard new == form["repeat_password"] else { return AdminPages.seeOther("/admin?notice=password_mismatch#password") }
        do {
            let revoked = try await operatorPassword.changePassword(
                current: form["current_password"] ?? "", new: new, revokeGrants: form["revoke_grants"] == "on", now: now())
            grants.forgetAll()
            if let fingerprint = await currentPasswordFingerprint() {
                await sessions.rebind(id: id, passwordFingerprint: fingerprint)
            }
            context.logger.notice(
                "operator changed the password on /admin", metadata: ["revoked_grants": "\(revoked)"])
            return AdminPages.seeOther(
                revoked > 0 || form["revoke_grants"] == "on"
                    ? "/admin?notice=password_changed_revoked#password" : "/admin?notice=password_changed#password")
        } catch PasswordChangeError.wrongPassword {
            if case .lockedOut = await throttle.recordFailure(throttleKey, now: now()) {
                context.logger.warning("admin password lockout", metadata: ["remote": "\(throttleKey)"])
            }
            return AdminPages.seeOther("/admin?notice=password_wrong#password")
        } catch let error as PasswordChangeError {
            return AdminPages.seeOther("/admin?notice=password_\(AdminDashboard.noticeCode(error))#password")
        } catch {
            context.logger.error("password change failed", metadata: ["error": "\(error)"])
            return pages.html(
                "<p>The password could not be changed: the database could not be written. Try again.</p>",
                status: .serviceUnavailable, headers: [:])
        }
    }

    private func currentPasswordFingerprint() async -> String? {
        guard let hash = try? await password.currentHash() else { return nil }
        return PageSessions.fingerprint(ofPasswordHash: hash)
    }

    // MARK: helpers

    private func operatorsSignIns() async -> [(name: String, connectURL: String, connected: Bool)] {
        guard let upstream else { return [] }
        let connected = await upstream.connected(userID: Viewer.operatorUserID)
        return await upstream.backends(usableBy: Viewer.operatorUserID).map { backend in
            (backend.displayName, upstream.urls.connect(backend.name), connected.contains(backend.name))
        }
    }

    /// Whether `request` comes from the operator's signed-in browser.
    public func isSignedIn(_ request: Request) async -> Bool {
        await currentSession(request) != nil
    }

    private func currentSession(_ request: Request) async -> (String, PageSessions.Session)? {
        guard let id = request.cookies[sessionCookie.name]?.value, !id.isEmpty,
            let fingerprint = await currentPasswordFingerprint(),
            let session = await sessions.session(id: id, now: now(), passwordFingerprint: fingerprint)
        else { return nil }
        return (id, session)
    }

    private func refusedForm() -> Response {
        pages.html(
            "<!doctype html><title>Refused</title><p>This form is no longer valid. <a href=\"/admin\">Reload the page</a> and try again.</p>",
            status: .forbidden, headers: [:])
    }

    private func tooManyAttempts(_ seconds: TimeInterval) -> Response {
        var response = loginPage(
            error: "Too many wrong passwords. Try again in \(Int(seconds.rounded(.up))) seconds.", status: .tooManyRequests)
        response.headers[.retryAfter] = String(Int(seconds.rounded(.up)))
        return response
    }
}
