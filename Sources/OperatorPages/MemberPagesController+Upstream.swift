import Accounts
import Foundation
import HTTPTypes
import Hummingbird
import MCPCore
import NIOCore
import UpstreamAuth

/// Connecting an OAuth-protected upstream backend from `/me`: the member's browser goes to the upstream's sign-in
/// and comes back to the callback, which only the same member's session can finish.
extension MemberPagesController {
    func addUpstreamRoutes(to router: some RouterMethods<Context>) {
        guard let upstream else { return }
        router.get(RouterPath(UpstreamAuthURLs.connectPath)) { request, _ in await connect(request, upstream) }
        router.get(RouterPath(UpstreamAuthURLs.callbackPath)) { request, _ in await upstreamCallback(request, upstream) }
        router.post("/me/disconnect") { request, _ in
            await change(request) { form, viewer throws(MemberBackendError) in
                guard let name = form["backend"], let backend = await upstream.backend(name, usableBy: viewer.userID) else {
                    throw MemberBackendError(.notFound, "there is no OAuth backend of that name")
                }
                await upstream.disconnect(backend: name, userID: viewer.userID)
                return "Disconnected \(backend.displayName): the gateway forgot your sign-in there and asked it to revoke it."
            }
        }
        router.get(RouterPath(UpstreamAuthURLs.clientMetadataPath)) { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json", .cacheControl: "public, max-age=300"],
                body: .init(
                    byteBuffer: ByteBuffer(
                        bytes: upstream.clientMetadata(clientID: upstream.urls.clientMetadata).serializedBytes())))
        }
    }

    /// The OAuth backends a member sees on `/me`, with whether they are connected.
    func upstreamBackends(for viewer: Viewer) async -> [[String: Any]] {
        guard let upstream else { return [] }
        let connected = await upstream.connected(userID: viewer.userID)
        return await upstream.backends(usableBy: viewer.userID).map { backend -> [String: Any] in
            [
                "name": backend.displayName, "key": backend.name, "url": backend.url,
                "connected": connected.contains(backend.name), "connect_url": upstream.urls.connect(backend.name),
            ]
        }
    }

    /// Who is signed in to the gateway in this browser: a member's `/me` session, else the operator's `/admin` one.
    private func signedInUser(_ request: Request) async -> Viewer? {
        if let (_, session) = await currentSession(request) { return await viewers.viewer(session.subject) }
        return await operatorSignedIn(request) ? .operator : nil
    }

    private func connect(_ request: Request, _ upstream: UpstreamAuthorizations) async -> Response {
        let name = request.uri.queryParameters["backend"].map(String.init) ?? ""
        guard let viewer = await signedInUser(request) else {
            return signInPage(
                error: "Sign in first (the operator at /admin), then open the link to connect \(name) again.")
        }
        guard let backend = await upstream.backend(name, usableBy: viewer.userID) else {
            return await result(
                request, viewer, error: "There is no OAuth backend named \"\(name.prefix(64))\".", status: .notFound)
        }
        do {
            let location = try await upstream.begin(backend: name, userID: viewer.userID)
            return PageResponses.seeOther(location)
        } catch {
            return await result(
                request, viewer, error: "Could not connect \(backend.displayName): \(error)", status: .badGateway)
        }
    }

    private func upstreamCallback(_ request: Request, _ upstream: UpstreamAuthorizations) async -> Response {
        let query = request.uri.queryParameters
        guard let viewer = await signedInUser(request) else {
            return signInPage(error: "This sign-in came back to a browser not signed in to the gateway; nothing was kept.")
        }
        guard let state = query["state"].map(String.init), !state.isEmpty else {
            return await result(
                request, viewer, error: "The sign-in came back without its state; nothing was kept.", status: .badRequest)
        }
        do {
            let name = try await upstream.complete(
                state: state, code: query["code"].map(String.init), error: query["error"].map(String.init),
                issuer: query["iss"].map(String.init), userID: viewer.userID)
            return await result(
                request, viewer, notice: "Connected \(name). Go back to your MCP client and call its tool again.")
        } catch {
            let status: HTTPResponse.Status =
                switch error {
                case .unknownState, .refused: .badRequest
                default: .badGateway
                }
            return await result(request, viewer, error: "The sign-in was not completed: \(error)", status: status)
        }
    }

    /// A member sees `/me` with the outcome; the operator, who has no `/me`, a plain page of it.
    private func result(
        _ request: Request, _ viewer: Viewer, notice: String? = nil, error: String? = nil, status: HTTPResponse.Status = .ok
    ) async -> Response {
        guard viewer.userID == Viewer.operatorUserID else {
            return await show(request, error: error, notice: notice, status: status)
        }
        let context: [String: Any] = [
            "title": error == nil ? "Connected" : "Not connected", "message": error ?? notice ?? "",
            "status": Int(status.code),
        ]
        return PageResponses.html(library.render(context, withTemplate: "error") ?? (error ?? notice ?? ""), status: status)
    }
}
