import Accounts
import Foundation
import HTTPTypes
import Hummingbird
import MCPCore
import NIOCore
import OAuthServer

/// `/api/backends`: members' and the operator's backends as JSON, all through `MemberBackendService`.
/// Callers are a `/me` session (its cookie; changes also carry the session's `X-CSRF-Token`) or the operator's
/// personal token with the `backends` scope. Another user's backend id is answered 404, as if it did not exist.
public struct BackendsAPIController<Context: RequestContext>: Sendable {
    let service: MemberBackendService
    let viewers: ViewerResolver
    let users: any UserStore
    let sessions: PageSessions
    let sessionCookie: PageCookie
    let bearer: BearerAuthenticator
    let tokenScope: String
    /// The gateway's public URL, for an OAuth backend's connect link.
    let issuer: String
    static var bodyLimit: Int { 16 * 1024 }

    public init(
        service: MemberBackendService, viewers: ViewerResolver, users: any UserStore, sessions: PageSessions,
        sessionCookie: PageCookie, bearer: BearerAuthenticator, tokenScope: String, issuer: String
    ) {
        self.service = service
        self.viewers = viewers
        self.users = users
        self.sessions = sessions
        self.sessionCookie = sessionCookie
        self.bearer = bearer
        self.tokenScope = tokenScope
        self.issuer = issuer
    }

    public func addRoutes(to router: some RouterMethods<Context>) {
        router.get("/api/backends") { request, _ in try await list(request) }
        router.post("/api/backends") { request, _ in try await create(request) }
        router.get("/api/backends/:id") { request, context in try await show(request, id: try id(context)) }
        router.patch("/api/backends/:id") { request, context in try await update(request, id: try id(context)) }
        router.delete("/api/backends/:id") { request, context in try await delete(request, id: try id(context)) }
        router.put("/api/backends/:id/credentials/:header") { request, context in
            try await setCredential(request, id: try id(context), header: try header(context))
        }
        router.delete("/api/backends/:id/credentials/:header") { request, context in
            try await removeCredential(request, id: try id(context), header: try header(context))
        }
    }

    // MARK: routes

    func list(_ request: Request) async throws -> Response {
        let viewer = try await caller(request, changing: false)
        let backends = (try? await service.backends(for: viewer)) ?? []
        var documents: [BackendDocument] = []
        for backend in backends { documents.append(await document(backend, viewer: viewer)) }
        return try json(["backends": documents])
    }

    func show(_ request: Request, id: String) async throws -> Response {
        let viewer = try await caller(request, changing: false)
        let backend = try await perform { () async throws(MemberBackendError) in try await service.backend(id: id, for: viewer) }
        return try json(await document(backend, viewer: viewer))
    }

    func create(_ incoming: Request) async throws -> Response {
        var request = incoming
        let viewer = try await caller(request, changing: true)
        let input = try await readInput(&request)
        let backend = try await perform { () async throws(MemberBackendError) in try await service.create(input, by: viewer) }
        return try json(await document(backend, viewer: viewer), status: .created)
    }

    func update(_ incoming: Request, id: String) async throws -> Response {
        var request = incoming
        let viewer = try await caller(request, changing: true)
        let input = try await readInput(&request)
        let backend = try await perform { () async throws(MemberBackendError) in
            try await service.update(id: id, input, by: viewer)
        }
        return try json(await document(backend, viewer: viewer))
    }

    func delete(_ request: Request, id: String) async throws -> Response {
        let viewer = try await caller(request, changing: true)
        try await perform { () async throws(MemberBackendError) in try await service.delete(id: id, by: viewer) }
        return Response(status: .noContent)
    }

    func setCredential(_ incoming: Request, id: String, header: String) async throws -> Response {
        var request = incoming
        let viewer = try await caller(request, changing: true)
        let body = try await readJSON(&request)
        guard case .object(let fields) = body, fields.count == 1, let value = fields["value"]?.stringValue else {
            throw APIProblem(.badRequest, "invalid_request", "the body must be {\"value\": \"…\"}")
        }
        try await perform { () async throws(MemberBackendError) in
            try await service.setMemberCredential(id: id, header: header, value: value, by: viewer)
        }
        return Response(status: .noContent)
    }

    func removeCredential(_ request: Request, id: String, header: String) async throws -> Response {
        let viewer = try await caller(request, changing: true)
        try await perform { () async throws(MemberBackendError) in
            try await service.setMemberCredential(id: id, header: header, value: nil, by: viewer)
        }
        return Response(status: .noContent)
    }

    // MARK: who is calling

    /// The viewer behind the request's personal token or `/me` session; a change made with a session must carry the
    /// session's CSRF token in `X-CSRF-Token`.
    func caller(_ request: Request, changing: Bool) async throws -> Viewer {
        if request.headers[.authorization] != nil {
            switch await bearer.authenticate(request, acceptedScopes: [tokenScope]) {
            case .refused:
                throw APIProblem(
                    .unauthorized, "invalid_token", "the token is invalid, expired, revoked or lacks the backends scope")
            case .granted(let grant):
                guard let viewer = await viewers.viewer(grant.subject) else { throw APIProblem.unauthorized }
                return viewer
            }
        }
        guard let id = request.cookies[sessionCookie.name]?.value, !id.isEmpty,
            let session = await sessions.session(id: id, now: Date(), passwordFingerprint: MemberPagesController<Context>.binding)
        else { throw APIProblem.unauthorized }
        if changing {
            guard let token = request.headers[.csrfToken], TokenCrypto.constantTimeEquals(token, session.csrfToken) else {
                throw APIProblem(.forbidden, "csrf", "a change made with a session needs its X-CSRF-Token header")
            }
        }
        guard let viewer = await viewers.viewer(session.subject) else { throw APIProblem.unauthorized }
        return viewer
    }

    // MARK: helpers

    private func id(_ context: Context) throws -> String {
        guard let id = context.parameters.get("id"), !id.isEmpty, id.count <= 64 else {
            throw APIProblem(.notFound, "not_found", "no such backend")
        }
        return id
    }

    private func header(_ context: Context) throws -> String {
        guard let header = context.parameters.get("header"), !header.isEmpty, header.count <= 64 else {
            throw APIProblem(.badRequest, "invalid_request", "name the member header")
        }
        return header
    }

    private func readJSON(_ request: inout Request) async throws -> JSONValue {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true else {
            throw APIProblem(.unsupportedMediaType, "invalid_request", "send the body as application/json")
        }
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: Self.bodyLimit)
        } catch {
            throw APIProblem(.contentTooLarge, "limit", "a backend definition may be at most \(Self.bodyLimit) bytes")
        }
        guard let value = try? JSONValue.parse(body.readableBytesView) else {
            throw APIProblem(.badRequest, "invalid_request", "the body is not JSON")
        }
        return value
    }

    private func readInput(_ request: inout Request) async throws -> BackendInput {
        let value = try await readJSON(&request)
        guard case .object(let fields) = value else {
            throw APIProblem(.badRequest, "invalid_backend", "the body must be a JSON object")
        }
        if let unknown = fields.keys.sorted().first(where: { !BackendInput.fieldNames.contains($0) }) {
            throw APIProblem(
                .badRequest, "invalid_backend",
                "\(unknown.prefix(64)) is not a backend field (known: \(BackendInput.fieldNames.sorted().joined(separator: ", ")))"
            )
        }
        do {
            return try JSONDecoder().decode(BackendInput.self, from: Data(value.serializedBytes()))
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw APIProblem(.badRequest, "invalid_backend", "\(path) has the wrong type")
        } catch let DecodingError.keyNotFound(key, _) {
            throw APIProblem(.badRequest, "invalid_backend", "\(key.stringValue) is required")
        } catch {
            throw APIProblem(.badRequest, "invalid_backend", "the definition does not fit the backend fields")
        }
    }

    private func perform<T>(_ work: () async throws(MemberBackendError) -> T) async throws -> T {
        do {
            return try await work()
        } catch {
            throw APIProblem(error)
        }
    }

    func document(_ backend: MemberBackend, viewer: Viewer) async -> BackendDocument {
        let ownerName = (try? await users.user(id: backend.ownerID))?.name ?? backend.ownerID
        let set = await service.memberCredentialsSet(backend, userID: viewer.userID)
        return BackendDocument(backend, ownerName: ownerName, viewer: viewer, credentialsSet: set, issuer: issuer)
    }

    private func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Response(
            status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(data: try encoder.encode(value))))
    }
}

extension HTTPField.Name {
    static let csrfToken = HTTPField.Name("X-CSRF-Token")!
}

/// Who a subject is to the scope policy now: the operator, or a member with their current standing.
public struct ViewerResolver: Sendable {
    let accounts: MemberAccounts?
    let channels: @Sendable () async -> Set<String>

    public init(accounts: MemberAccounts?, channels: @escaping @Sendable () async -> Set<String>) {
        self.accounts = accounts
        self.channels = channels
    }

    public func viewer(_ subject: String) async -> Viewer? {
        if subject == User.operatorID { return .operator }
        return await accounts?.viewer(userID: subject, channels: await channels())
    }
}
