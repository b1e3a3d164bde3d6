import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The authorization endpoint: validates the request, shows the consent page, and turns the operator's
/// answer into a code (or an error) sent back to the client's redirect URI with a 303.
public struct AuthorizationController<Context: ClientAddressRequestContext>: Sendable {
    let configuration: OAuthConfiguration
    let clients: any ClientStore
    let transactions: any ConsentTransactionStore
    let grants: any GrantStore
    let metadataDocuments: ClientMetadataDocumentResolver?
    let pages: ConsentPages
    let throttle: ConsentThrottle
    let operatorPassword: OperatorPasswordCheck
    /// Members' way in (Sign in with Discord); nil when only the operator approves.
    let memberSignIn: (any MemberSignIn)?
    /// What a signed-in member may limit a grant to.
    let consentOptions: (any ConsentOptions)?
    /// Binds a member sign-in to the browser that started it.
    let signInCookie: PageCookie
    let now: @Sendable () -> Date

    public init(
        configuration: OAuthConfiguration, clients: any ClientStore, transactions: any ConsentTransactionStore,
        grants: any GrantStore, metadataDocuments: ClientMetadataDocumentResolver?, pages: ConsentPages,
        throttle: ConsentThrottle, operatorPassword: OperatorPasswordCheck, memberSignIn: (any MemberSignIn)? = nil,
        consentOptions: (any ConsentOptions)? = nil, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.memberSignIn = memberSignIn
        self.consentOptions = consentOptions
        self.signInCookie = PageCookie("mcpgw_signin", secure: configuration.issuer.hasPrefix("https://"))
        self.configuration = configuration
        self.clients = clients
        self.transactions = transactions
        self.grants = grants
        self.metadataDocuments = metadataDocuments
        self.pages = pages
        self.throttle = throttle
        self.operatorPassword = operatorPassword
        self.now = now
    }

    public func addRoutes(to router: some RouterMethods<Context>) {
        for path in ["/oauth/authorize", "/authorize"] {
            router.get(RouterPath(path)) { request, context in await show(request, context: context) }
            router.post(RouterPath(path)) { request, context in await answer(request, context: context) }
        }
        if let memberSignIn {
            router.get(RouterPath(memberSignIn.callbackPath)) { request, context in
                await signInCallback(request, context: context)
            }
        }
    }

    /// The fields the consent forms post; anything else in the POST means the form was tampered with. `choice` (a
    /// checked box) is the only one that may repeat; `choose` says the boxes were shown.
    static var formFields: Set<String> { ["transaction_id", "csrf_token", "password", "decision", "choose", "choice"] }

    // MARK: GET: validate and show the consent page

    func show(_ request: Request, context: Context) async -> Response {
        let query = FormBody(request.uri.query ?? "")
        for name in ["client_id", "redirect_uri"] where query.repeated.contains(name) {
            return pages.error(title: "Invalid request", message: "The parameter \(name) appears more than once.")
        }
        guard let clientID = query["client_id"] else {
            return pages.error(title: "Invalid request", message: "The request has no client_id.")
        }
        let client: OAuthClient
        do {
            client = try await lookUpClient(clientID)
        } catch {
            return pages.error(title: "Unknown application", message: error.description)
        }
        guard let redirectURI = matchedRedirectURI(query["redirect_uri"], client: client) else {
            return pages.error(
                title: "Invalid redirect",
                message: "The redirect URI is missing or is not one this application registered. Nothing was sent back to it."
            )
        }

        // From here on, errors go back to the client's (now trusted) redirect URI.
        let state = query["state"]
        if let repeatedName = query.repeated.first {
            return redirectError(
                .invalidRequest("the parameter \(repeatedName) appears more than once"), to: redirectURI, state: state)
        }
        guard query["response_type"] == "code" else {
            return redirectError(
                OAuthError("unsupported_response_type", "only response_type=code is supported"), to: redirectURI, state: state)
        }
        guard let challenge = query["code_challenge"] else {
            return redirectError(.invalidRequest("code_challenge is required (PKCE)"), to: redirectURI, state: state)
        }
        guard query["code_challenge_method"] == "S256" else {
            return redirectError(.invalidRequest("code_challenge_method must be S256"), to: redirectURI, state: state)
        }
        guard PKCE.isValidChallenge(challenge) else {
            return redirectError(
                .invalidRequest("code_challenge must be a base64url SHA-256 (43 characters)"), to: redirectURI, state: state)
        }
        if let resource = query["resource"], !configuration.isThisResource(resource) {
            return redirectError(
                .invalidTarget("this server only issues tokens for \(configuration.resource)"), to: redirectURI, state: state)
        }

        let transactionID = TokenCrypto.generateToken(byteCount: 24)
        let csrfToken = TokenCrypto.generateToken()
        let transaction = ConsentTransaction(
            id: transactionID, csrfHash: TokenCrypto.hash(csrfToken), clientID: client.id, redirectURI: redirectURI,
            scope: configuration.defaultScope, state: state, codeChallenge: challenge,
            resource: configuration.resource, expiresAt: now().addingTimeInterval(configuration.consentTransactionTTL)
        )
        do {
            try await transactions.insertTransaction(transaction)
        } catch {
            context.logger.error("could not store a consent transaction", metadata: ["error": "\(error)"])
            return pages.error(
                title: "Try again", message: "The server could not start the approval.", status: .serviceUnavailable)
        }
        return pages.consent(await consentView(transaction: transaction, client: client, csrfToken: csrfToken))
    }

    private func lookUpClient(_ clientID: String) async throws(OAuthError) -> OAuthClient {
        if ClientMetadataDocumentResolver.isMetadataDocumentURL(clientID) {
            guard let metadataDocuments else { throw OAuthError.invalidClient("client metadata documents are disabled") }
            let client = try await metadataDocuments.resolve(clientID, now: now())
            try? await clients.upsertMetadataDocumentClient(client)
            return client
        }
        guard let client = try? await clients.client(id: clientID), client.kind == .registered else {
            throw OAuthError.invalidClient("No application is registered with this client_id.")
        }
        return client
    }

    private func matchedRedirectURI(_ requested: String?, client: OAuthClient) -> String? {
        guard let requested else {
            return client.redirectURIs.count == 1 ? client.redirectURIs[0] : nil
        }
        return client.redirectURIs.contains { RedirectURIPolicy.matches(requested: requested, registered: $0) } ? requested : nil
    }

    /// The page for `transaction`: the operator password form and the member sign-in button, or, once a member has
    /// signed in, who they are and what they may limit the grant to.
    func consentView(
        transaction: ConsentTransaction, client: OAuthClient, csrfToken: String, error: String? = nil
    ) async -> ConsentPages.ConsentView {
        let host = URLComponents(string: transaction.redirectURI)?.host ?? transaction.redirectURI
        var member: ConsentPages.MemberView?
        if let subject = transaction.subject {
            member = .init(options: await consentOptions?.options(for: subject) ?? .init(displayName: subject, choices: []))
        }
        return ConsentPages.ConsentView(
            clientName: client.name ?? "Unnamed application", clientID: client.id,
            isMetadataDocument: client.kind == .metadataDocument, redirectHost: host,
            redirectURI: transaction.redirectURI,
            loopbackOnly: client.redirectURIs.allSatisfy { uri in
                URLComponents(string: uri)?.host.map(RedirectURIPolicy.isLoopbackHost) ?? false
            },
            scope: transaction.scope, transactionID: transaction.id, csrfToken: csrfToken, errorMessage: error,
            signInProvider: member == nil ? memberSignIn?.providerName : nil, member: member
        )
    }

    // MARK: POST: the operator's answer

    func answer(_ incoming: Request, context: Context) async -> Response {
        var request = incoming
        let throttleKey = context.clientAddress ?? "unknown"
        if let wait = await throttle.retryAfter(throttleKey, now: now()) {
            OAuthMetrics.consent(.throttled)
            return tooManyAttempts(retryAfter: wait)
        }
        guard request.isFormEncoded, let body = try? await request.collectBody(limit: 8 * 1024) else {
            return pages.error(title: "Invalid request", message: "The consent form must be posted as a form.")
        }
        let form = FormBody(String(buffer: body))
        if let unexpected = form.values.keys.first(where: { !Self.formFields.contains($0) })
            ?? form.repeated.subtracting(["choice"]).first
        {
            return pages.error(
                title: "Invalid request", message: "The form carried an unexpected field (\(unexpected)). No code was issued.")
        }
        guard let transactionID = form["transaction_id"], let csrfToken = form["csrf_token"],
            let transaction = try? await transactions.transaction(id: transactionID),
            TokenCrypto.constantTimeEquals(TokenCrypto.hash(csrfToken), transaction.csrfHash)
        else {
            return pages.error(
                title: "This approval is no longer valid",
                message:
                    "The form was already used, has expired, or did not come from this server. Start the connection again from your application."
            )
        }
        guard transaction.expiresAt > now() else {
            _ = try? await transactions.consumeTransaction(id: transactionID)
            return pages.error(title: "This approval has expired", message: "Start the connection again from your application.")
        }

        switch form["decision"] {
        case "deny":
            guard (try? await transactions.consumeTransaction(id: transactionID)) != nil else {
                return pages.error(title: "This approval is no longer valid", message: "The form was already used.")
            }
            OAuthMetrics.consent(.denied)
            return redirectError(
                OAuthError("access_denied", "the operator denied the request"), to: transaction.redirectURI,
                state: transaction.state)
        case "approve" where transaction.subject != nil:
            return await approveAsMember(transaction, csrfToken: csrfToken, form: form, context: context)
        case "approve":
            return await approve(
                transaction, csrfToken: csrfToken, password: form["password"] ?? "", throttleKey: throttleKey, context: context)
        case "sign_in" where memberSignIn != nil && transaction.subject == nil:
            return await startSignIn(transaction, context: context)
        default:
            return pages.error(title: "Invalid request", message: "The form must be answered with Approve or Deny.")
        }
    }

    private func approve(
        _ transaction: ConsentTransaction, csrfToken: String, password: String, throttleKey: String, context: Context
    ) async -> Response {
        guard await operatorPassword.verify(password) else {
            OAuthMetrics.consent(.wrongPassword)
            switch await throttle.recordFailure(throttleKey, now: now()) {
            case .lockedOut(let seconds):
                OAuthMetrics.consent(.throttled)
                context.logger.warning("consent password lockout", metadata: ["remote": "\(throttleKey)"])
                return tooManyAttempts(retryAfter: seconds)
            case .slowDown(let delay):
                try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
            }
            guard let client = try? await clients.client(id: transaction.clientID) else {
                return pages.error(title: "Unknown application", message: "The application is no longer registered.")
            }
            return pages.consent(
                await consentView(transaction: transaction, client: client, csrfToken: csrfToken, error: "Wrong password."),
                status: .unauthorized)
        }
        await throttle.recordSuccess(throttleKey)
        return await issueCode(for: transaction, subject: Grant.operatorSubject, selection: nil, context: context)
    }

    /// Stores the grant (whose it is, and what it is limited to) with its code, and sends the code to the client.
    func issueCode(
        for transaction: ConsentTransaction, subject: String, selection: [String]?, context: Context
    ) async -> Response {
        let issuedAt = now()
        let code = TokenCrypto.generateToken()
        let grant = Grant(
            id: TokenCrypto.generateToken(byteCount: 16), clientID: transaction.clientID, scope: transaction.scope,
            resource: transaction.resource, createdAt: issuedAt, subject: subject, selection: selection)
        let record = AuthorizationCode(
            codeHash: TokenCrypto.hash(code), grantID: grant.id, clientID: transaction.clientID,
            redirectURI: transaction.redirectURI, scope: transaction.scope, codeChallenge: transaction.codeChallenge,
            resource: transaction.resource, expiresAt: issuedAt.addingTimeInterval(configuration.authorizationCodeTTL))
        do {
            guard try await grants.approve(transactionID: transaction.id, grant: grant, code: record) else {
                return pages.error(title: "This approval is no longer valid", message: "The form was already used.")
            }
        } catch {
            context.logger.error("could not store an approval", metadata: ["error": "\(error)"])
            return pages.error(
                title: "Try again", message: "The server could not store the approval.", status: .serviceUnavailable)
        }
        OAuthMetrics.consent(.approved)
        context.logger.info("consent approved", metadata: ["client_id": "\(transaction.clientID)", "subject": "\(subject)"])
        var items = [URLQueryItem(name: "code", value: code)]
        if let state = transaction.state { items.append(URLQueryItem(name: "state", value: state)) }
        items.append(URLQueryItem(name: "iss", value: configuration.issuer))
        return OAuthResponses.seeOther(URLComponents.appending(items, to: transaction.redirectURI))
    }

    func tooManyAttempts(retryAfter seconds: TimeInterval) -> Response {
        let wait = Int(seconds.rounded(.up))
        var headers = HTTPFields()
        headers[.retryAfter] = String(wait)
        return pages.error(
            title: "Too many wrong passwords",
            message: "Approvals are paused for \(wait) seconds after repeated wrong passwords.",
            status: .tooManyRequests, headers: headers)
    }

    func redirectError(_ error: OAuthError, to redirectURI: String, state: String?) -> Response {
        var items = [
            URLQueryItem(name: "error", value: error.code),
            URLQueryItem(name: "error_description", value: error.description),
        ]
        if let state { items.append(URLQueryItem(name: "state", value: state)) }
        items.append(URLQueryItem(name: "iss", value: configuration.issuer))
        return OAuthResponses.seeOther(URLComponents.appending(items, to: redirectURI))
    }
}
