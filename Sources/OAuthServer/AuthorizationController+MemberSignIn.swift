import Foundation
import HTTPTypes
import Hummingbird

/// Members answer the consent page by signing in (Discord) rather than with the operator password:
/// 1. the page's "Sign in with …" posts here; we keep a fresh secret's hash and a PKCE verifier on the transaction, put
///    the secret in a cookie, and send the browser to the provider with `state` = transaction id + "." + secret;
/// 2. the provider sends the browser back to the callback, which must bring the same secret in `state` and in the
///    cookie: that ends the sign-in, once (a replayed callback finds nothing), and binds the transaction to the member;
/// 3. the page shows who they are and what the grant may reach; their Approve needs no password.
extension AuthorizationController {
    var signInRedirectURI: String? { memberSignIn.map { configuration.issuer + $0.callbackPath } }

    func startSignIn(_ transaction: ConsentTransaction, context: Context) async -> Response {
        guard let memberSignIn, let redirectURI = signInRedirectURI else {
            return pages.error(title: "Invalid request", message: "Member sign-in is not enabled on this server.")
        }
        let secret = TokenCrypto.generateToken()
        let verifier = TokenCrypto.generateToken()
        let signIn = PendingSignIn(stateHash: TokenCrypto.hash(secret), codeVerifier: verifier)
        do {
            guard try await transactions.startSignIn(transactionID: transaction.id, signIn) else {
                return pages.error(
                    title: "This approval is no longer valid", message: "Start the connection again from your application.")
            }
        } catch {
            context.logger.error("could not store a member sign-in", metadata: ["error": "\(error)"])
            return pages.error(
                title: "Try again", message: "The server could not start the sign-in.", status: .serviceUnavailable)
        }
        let location = memberSignIn.authorizationURL(
            state: transaction.id + "." + secret, codeChallenge: PKCE.challenge(for: verifier), redirectURI: redirectURI)
        var response = OAuthResponses.seeOther(location)
        response.headers[.setCookie] = signInCookie.set(secret, maxAge: Int(configuration.consentTransactionTTL))
        return response
    }

    func signInCallback(_ request: Request, context: Context) async -> Response {
        guard let memberSignIn, let redirectURI = signInRedirectURI else {
            return pages.error(title: "Not found", message: "Member sign-in is not enabled.", status: .notFound)
        }
        let query = FormBody(request.uri.query ?? "")
        let invalid = pages.error(
            title: "This sign-in is no longer valid",
            message:
                "It was already used, has expired, or was not started in this browser. Start the connection again from your application."
        )
        guard query.repeated.isEmpty, let state = query["state"], let dot = state.firstIndex(of: "."),
            let cookie = request.cookies[signInCookie.name]?.value, !cookie.isEmpty
        else { return invalid }
        let transactionID = String(state[..<dot])
        let secret = String(state[state.index(after: dot)...])
        guard TokenCrypto.constantTimeEquals(secret, cookie),
            let transaction = try? await transactions.finishSignIn(
                transactionID: transactionID, stateHash: TokenCrypto.hash(secret)),
            let signIn = transaction.signIn
        else {
            OAuthMetrics.consent(.signInRefused)
            return invalid
        }
        guard transaction.expiresAt > now() else {
            _ = try? await transactions.consumeTransaction(id: transactionID)
            return pages.error(title: "This approval has expired", message: "Start the connection again from your application.")
        }
        guard let code = query["code"] else {
            let cancelled = query["error"] == "access_denied"
            return clearingSignInCookie(
                pages.error(
                    title: cancelled ? "Sign-in cancelled" : "Sign-in failed",
                    message: cancelled
                        ? "\(memberSignIn.providerName) sign-in was cancelled. Go back to the approval page to try again."
                        : "\(memberSignIn.providerName) did not sign you in (\(query["error"]?.prefix(60) ?? "no code")).",
                    status: .badRequest))
        }
        switch await memberSignIn.complete(code: code, codeVerifier: signIn.codeVerifier, redirectURI: redirectURI) {
        case .refused(let message):
            OAuthMetrics.consent(.signInRefused)
            context.logger.notice("member sign-in refused", metadata: ["client_id": "\(transaction.clientID)"])
            return clearingSignInCookie(pages.error(title: "You cannot use this server", message: message, status: .forbidden))
        case .failed(let message):
            context.logger.warning("member sign-in failed", metadata: ["reason": "\(message)"])
            return clearingSignInCookie(
                pages.error(title: "Sign-in failed", message: message, status: .badGateway))
        case .signedIn(let subject):
            let csrfToken = TokenCrypto.generateToken()
            guard
                (try? await transactions.bindSubject(
                    transactionID: transactionID, subject: subject, csrfHash: TokenCrypto.hash(csrfToken))) == true,
                let client = try? await clients.client(id: transaction.clientID)
            else { return invalid }
            OAuthMetrics.consent(.signedIn)
            var signedIn = transaction
            signedIn.subject = subject
            signedIn.signIn = nil
            return clearingSignInCookie(
                pages.consent(await consentView(transaction: signedIn, client: client, csrfToken: csrfToken)))
        }
    }

    /// A signed-in member's Approve: the grant is theirs, limited to the boxes they left checked (all of them, and
    /// whatever they may reach later, when none was unchecked).
    func approveAsMember(
        _ transaction: ConsentTransaction, csrfToken: String, form: FormBody, context: Context
    ) async -> Response {
        guard let subject = transaction.subject else {
            return pages.error(title: "Invalid request", message: "Nobody signed in.")
        }
        var selection: [String]?
        if form["choose"] != nil {
            let offered = Set(await consentOptions?.options(for: subject).choices.map(\.id) ?? [])
            let checked = Set(form.lists["choice"] ?? [])
            guard checked.isSubset(of: offered) else {
                return pages.error(
                    title: "Invalid request", message: "The form chose something that is not offered to you. No code was issued.")
            }
            guard !checked.isEmpty else {
                guard let client = try? await clients.client(id: transaction.clientID) else {
                    return pages.error(title: "Unknown application", message: "The application is no longer registered.")
                }
                return pages.consent(
                    await consentView(
                        transaction: transaction, client: client, csrfToken: csrfToken,
                        error: "Choose at least one, or Deny."),
                    status: .badRequest)
            }
            selection = checked == offered ? nil : checked.sorted()
        }
        return await issueCode(for: transaction, subject: subject, selection: selection, context: context)
    }

    private func clearingSignInCookie(_ response: Response) -> Response {
        var response = response
        response.headers.append(HTTPField(name: .setCookie, value: signInCookie.deleted))
        return response
    }
}
