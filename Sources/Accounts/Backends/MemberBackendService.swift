import Foundation

/// Defines, changes and removes member backends under the scope policy; the API, the pages and the command line all go
/// through it. Secrets are sealed under the owner's key before they are stored, and are never given back.
public struct MemberBackendService: Sendable {
    let store: any MemberBackendStore
    let users: any UserStore
    let sealer: SecretSealer
    let limits: MemberBackendLimits
    /// Why a member's backend may not reach this URL (private or internal addresses), or nil when it may.
    let checkURL: @Sendable (String) async -> String?
    /// Told of every change (the audit trail, the pool of running backends).
    let onChange: @Sendable (BackendChange) async -> Void
    let now: @Sendable () -> Date

    public init(
        store: any MemberBackendStore, users: any UserStore, sealer: SecretSealer, limits: MemberBackendLimits = .init(),
        checkURL: @escaping @Sendable (String) async -> String?, onChange: @escaping @Sendable (BackendChange) async -> Void,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.users = users
        self.sealer = sealer
        self.limits = limits
        self.checkURL = checkURL
        self.onChange = onChange
        self.now = now
    }

    // MARK: reading

    /// The backends `viewer` may see or manage.
    public func backends(for viewer: Viewer) async throws -> [MemberBackend] {
        try await store.allBackends().filter { Self.mayReveal($0, to: viewer) }
    }

    /// One backend `viewer` may see or manage; any other id is `notFound`, exactly like one that does not exist.
    public func backend(id: String, for viewer: Viewer) async throws(MemberBackendError) -> MemberBackend {
        guard let backend = try? await store.backend(id: id), Self.mayReveal(backend, to: viewer) else { throw .notFound }
        return backend
    }

    /// The channels member backends are scoped to: whose visibility a viewer's standing must say.
    public func referencedChannels() async -> Set<String> {
        Set(((try? await store.allBackends()) ?? []).compactMap(\.referencedChannel))
    }

    static func mayReveal(_ backend: MemberBackend, to viewer: Viewer) -> Bool {
        ScopePolicy.maySee(backend.scope, viewer: viewer) || ScopePolicy.mayManage(backend.scope, viewer: viewer)
    }

    /// Which of the backend's member headers `userID` has filled in.
    public func memberCredentialsSet(_ backend: MemberBackend, userID: String) async -> Set<String> {
        Set(((try? await store.memberCredentials(backendID: backend.id, userID: userID)) ?? [:]).keys)
    }

    // MARK: changing

    public func create(_ input: BackendInput, by viewer: Viewer) async throws(MemberBackendError) -> MemberBackend {
        guard let name = input.name else { throw MemberBackendError(.invalid, "name is required") }
        let scope = try Self.scope(input.scope ?? .init(kind: "user"), viewer: viewer)
        guard ScopePolicy.mayCreate(scope, viewer: viewer) else { throw Self.mayNotUse(scope) }
        guard let transport = try await transport(input, current: nil, viewer: viewer) else {
            throw MemberBackendError(.invalid, "url is required (or transport stdio with a command)")
        }
        let owned = ((try? await store.allBackends()) ?? []).filter { $0.ownerID == viewer.userID }.count
        guard owned < limits.backendsPerUser else {
            throw MemberBackendError(.limit, "you have \(owned) backends, the most one user may have; remove one first")
        }
        let at = now()
        var backend = MemberBackend(
            id: MemberBackend.newID(), ownerID: viewer.userID, scope: scope, name: try Self.validName(name),
            transport: transport, createdAt: at, updatedAt: at, updatedBy: viewer.userID)
        try apply(input, to: &backend)
        try applySandbox(input, to: &backend, viewer: viewer)
        try await sealSecrets(input, into: &backend, previousOwner: nil)
        try Self.checkOAuthShape(backend)
        do {
            try await store.insertBackend(backend)
        } catch let error as MemberBackendStoreError {
            throw MemberBackendError(.conflict, error.description)
        } catch {
            throw MemberBackendError(.invalid, "the backend could not be stored; try again")
        }
        await onChange(change(.created, backend, viewer: viewer, input: input))
        return backend
    }

    public func update(id: String, _ input: BackendInput, by viewer: Viewer) async throws(MemberBackendError)
        -> MemberBackend
    {
        var backend = try await backend(id: id, for: viewer)
        guard ScopePolicy.mayManage(backend.scope, viewer: viewer) else {
            throw MemberBackendError(.forbidden, "only its owner or the guild's backend admins may change this backend")
        }
        if let scopeInput = input.scope {
            let scope = try Self.scope(scopeInput, viewer: viewer, owner: backend.ownerID)
            guard ScopePolicy.mayManage(scope, viewer: viewer) else { throw Self.mayNotUse(scope) }
            backend.scope = scope
        }
        if let name = input.name { backend.name = try Self.validName(name) }
        if let transport = try await transport(input, current: backend.transport, viewer: viewer) {
            backend.transport = transport
        }
        try apply(input, to: &backend)
        try applySandbox(input, to: &backend, viewer: viewer)
        // Whoever changes a shared backend's secrets becomes its owner: every secret is sealed under their key, so only
        // an owner's key ever opens them.
        let previousOwner = backend.ownerID
        if input.changesSecrets, previousOwner != viewer.userID {
            if case .user = backend.scope {
                throw MemberBackendError(.forbidden, "a personal backend's secrets are its owner's to change")
            }
            backend.ownerID = viewer.userID
        }
        try await sealSecrets(input, into: &backend, previousOwner: previousOwner)
        try Self.checkOAuthShape(backend)
        backend.updatedAt = now()
        backend.updatedBy = viewer.userID
        do {
            guard try await store.updateBackend(backend) else { throw MemberBackendError.notFound }
        } catch let error as MemberBackendStoreError {
            throw MemberBackendError(.conflict, error.description)
        } catch let error as MemberBackendError {
            throw error
        } catch {
            throw MemberBackendError(.invalid, "the backend could not be stored; try again")
        }
        await onChange(change(.updated, backend, viewer: viewer, input: input))
        return backend
    }

    public func delete(id: String, by viewer: Viewer) async throws(MemberBackendError) {
        let backend = try await backend(id: id, for: viewer)
        guard ScopePolicy.mayManage(backend.scope, viewer: viewer) else {
            throw MemberBackendError(.forbidden, "only its owner or the guild's backend admins may remove this backend")
        }
        guard (try? await store.deleteBackend(id: id)) == true else { throw .notFound }
        await onChange(change(.deleted, backend, viewer: viewer, input: BackendInput()))
    }

    /// Sets (or, with nil, removes) the viewer's own value of one of the backend's member headers.
    public func setMemberCredential(id: String, header: String, value: String?, by viewer: Viewer)
        async throws(MemberBackendError)
    {
        let backend = try await backend(id: id, for: viewer)
        guard ScopePolicy.maySee(backend.scope, viewer: viewer) else { throw .notFound }
        guard let declared = backend.memberHeaders.first(where: { $0.lowercased() == header.lowercased() }) else {
            throw MemberBackendError(.invalid, "\(backend.name) has no member header \(header.prefix(64))")
        }
        var sealed: String?
        if let value {
            try Self.checkValue(value, field: "value", limit: limits.valueLength)
            let salt = try await salt(of: viewer.userID)
            sealed = sealer.seal(
                value, ownerSalt: salt, context: backend.sealContext(memberHeader: declared, userID: viewer.userID))
        }
        do {
            try await store.setMemberCredential(backendID: id, userID: viewer.userID, header: declared, sealed: sealed)
        } catch {
            throw MemberBackendError(.invalid, "the value could not be stored; try again")
        }
        var event = change(value == nil ? .credentialRemoved : .credentialSet, backend, viewer: viewer, input: BackendInput())
        event.fields = ["member_headers.\(declared)"]
        await onChange(event)
    }

    // MARK: opening secrets for a connection

    /// What a connection to `backend` on behalf of `userID` carries: the owner's headers and variables, and the
    /// user's own member headers; `missing` names the member headers the user has not filled in.
    public func openSecrets(of backend: MemberBackend, for userID: String) async throws -> OpenedSecrets {
        let ownerSalt = try await salt(of: backend.ownerID)
        var opened = OpenedSecrets()
        for (name, sealed) in backend.sealedHeaders {
            opened.headers[name] = try sealer.open(sealed, ownerSalt: ownerSalt, context: backend.sealContext(header: name))
        }
        for (name, sealed) in backend.sealedEnvironment {
            opened.environment[name] = try sealer.open(
                sealed, ownerSalt: ownerSalt, context: backend.sealContext(environment: name))
        }
        if let sealed = backend.oauth?.sealedClientSecret {
            opened.oauthClientSecret = try sealer.open(
                sealed, ownerSalt: ownerSalt, context: backend.sealContextOAuthClientSecret)
        }
        if !backend.memberHeaders.isEmpty {
            let userSalt = try await salt(of: userID)
            let own = try await store.memberCredentials(backendID: backend.id, userID: userID)
            for header in backend.memberHeaders {
                guard let sealed = own[header] else {
                    opened.missing.append(header)
                    continue
                }
                opened.headers[header] = try sealer.open(
                    sealed, ownerSalt: userSalt, context: backend.sealContext(memberHeader: header, userID: userID))
            }
        }
        return opened
    }

    // MARK: validation

    static func validName(_ name: String) throws(MemberBackendError) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789_-")
        guard (1...32).contains(name.count), name.allSatisfy(allowed.contains), name.first != "-", name.first != "_" else {
            throw MemberBackendError(
                .invalid, "name must be 1 to 32 characters of a-z, 0-9, _ and -, starting with a letter or digit")
        }
        return name
    }

    static func scope(_ input: BackendInput.ScopeInput, viewer: Viewer, owner: String? = nil) throws(MemberBackendError)
        -> BackendScope
    {
        func snowflake(_ value: String?, _ field: String) throws(MemberBackendError) -> String {
            guard let value, (17...20).contains(value.count), value.allSatisfy(\.isASCII), value.allSatisfy(\.isNumber) else {
                throw MemberBackendError(.invalid, "scope.\(field) must be a Discord id (17 to 20 digits)")
            }
            return value
        }
        switch input.kind {
        case "user": return .user(ownerID: owner ?? viewer.userID)
        case "global": return .global
        case "guild":
            var roles: [String] = []
            for role in input.roleIDs ?? [] { roles.append(try snowflake(role, "role_ids")) }
            return .guild(guildID: try snowflake(input.guildID, "guild_id"), roleIDs: roles)
        case "channel":
            return .channel(
                guildID: try snowflake(input.guildID, "guild_id"), channelID: try snowflake(input.channelID, "channel_id"))
        default:
            throw MemberBackendError(.invalid, "scope.kind must be user, guild, channel or global")
        }
    }

    static func mayNotUse(_ scope: BackendScope) -> MemberBackendError {
        switch scope {
        case .global: MemberBackendError(.forbidden, "only the operator adds global backends")
        case .guild, .channel: MemberBackendError(.forbidden, "only that guild's backend admins add its backends")
        case .user: MemberBackendError(.forbidden, "a personal backend belongs to its owner")
        }
    }

    /// The transport the input asks for, checked; nil when the input changes none (and `current` stays).
    func transport(_ input: BackendInput, current: MemberBackend.Transport?, viewer: Viewer)
        async throws(MemberBackendError) -> MemberBackend.Transport?
    {
        guard input.transport != nil || input.url != nil || input.command != nil || input.args != nil else { return nil }
        let kind = input.transport ?? (input.command != nil ? "stdio" : current?.name ?? "streamable_http")
        switch kind {
        case "streamable_http", "sse":
            guard let url = input.url ?? current?.url else { throw MemberBackendError(.invalid, "url is required") }
            guard url.utf8.count <= limits.urlLength, let components = URLComponents(string: url),
                let scheme = components.scheme?.lowercased(), scheme == "https" || scheme == "http",
                let host = components.host, !host.isEmpty, components.user == nil, components.password == nil
            else {
                throw MemberBackendError(.invalid, "url must be an absolute http(s) URL without user information")
            }
            if case .member = viewer, let refusal = await checkURL(url) {
                throw MemberBackendError(.invalid, "url is not allowed: \(refusal)")
            }
            return kind == "sse" ? .sse(url: url) : .streamableHTTP(url: url)
        case "stdio":
            if let reason = limits.commandsUnavailable {
                throw MemberBackendError(
                    .invalid, "command backends run in a sandbox, which this host cannot make: \(reason)")
            }
            if case .member = viewer, !limits.membersMayRunCommands {
                throw MemberBackendError(.forbidden, "command backends are the operator's only")
            }
            var command: String?
            var arguments: [String] = []
            if case .stdio(let currentCommand, let currentArguments)? = current {
                (command, arguments) = (currentCommand, currentArguments)
            }
            command = input.command ?? command
            arguments = input.args ?? arguments
            guard let command, !command.isEmpty, command.utf8.count <= limits.valueLength else {
                throw MemberBackendError(.invalid, "command is required for a stdio backend")
            }
            return .stdio(command: command, arguments: arguments)
        default:
            throw MemberBackendError(.invalid, "transport must be streamable_http, sse or stdio")
        }
    }

    /// The plain fields: member headers and the timeout.
    func apply(_ input: BackendInput, to backend: inout MemberBackend) throws(MemberBackendError) {
        if let headers = input.memberHeaders {
            guard headers.count <= limits.memberHeadersPerBackend else {
                throw MemberBackendError(.limit, "at most \(limits.memberHeadersPerBackend) member headers")
            }
            for header in headers { try Self.checkHeaderName(header) }
            guard Set(headers.map { $0.lowercased() }).count == headers.count else {
                throw MemberBackendError(.invalid, "member_headers has a header twice")
            }
            backend.memberHeaders = headers
        }
        if let seconds = input.timeoutSeconds {
            guard (1...300).contains(seconds) else { throw MemberBackendError(.invalid, "timeout_seconds must be 1 to 300") }
            backend.timeoutSeconds = seconds
        }
    }

    /// Seals the input's new secret values under the owner's key; when the owner changed, first re-seals the ones
    /// kept from `previousOwner`'s key.
    func sealSecrets(_ input: BackendInput, into backend: inout MemberBackend, previousOwner: String?)
        async throws(MemberBackendError)
    {
        let ownerSalt = try await salt(of: backend.ownerID)
        if let previousOwner, previousOwner != backend.ownerID {
            let oldSalt = try await salt(of: previousOwner)
            do {
                for (name, sealed) in backend.sealedHeaders {
                    let value = try sealer.open(sealed, ownerSalt: oldSalt, context: backend.sealContext(header: name))
                    backend.sealedHeaders[name] = sealer.seal(
                        value, ownerSalt: ownerSalt, context: backend.sealContext(header: name))
                }
                for (name, sealed) in backend.sealedEnvironment {
                    let value = try sealer.open(sealed, ownerSalt: oldSalt, context: backend.sealContext(environment: name))
                    backend.sealedEnvironment[name] = sealer.seal(
                        value, ownerSalt: ownerSalt, context: backend.sealContext(environment: name))
                }
                if let sealed = backend.oauth?.sealedClientSecret {
                    let context = backend.sealContextOAuthClientSecret
                    let value = try sealer.open(sealed, ownerSalt: oldSalt, context: context)
                    backend.oauth?.sealedClientSecret = sealer.seal(value, ownerSalt: ownerSalt, context: context)
                }
            } catch {
                throw MemberBackendError(.invalid, "its stored secrets cannot be opened; set all of them again")
            }
        }
        for (name, value) in input.headers ?? [:] {
            try Self.checkHeaderName(name)
            guard !Self.reservedHeaders.contains(name.lowercased()) else {
                throw MemberBackendError(.invalid, "headers.\(name) is set by the gateway itself")
            }
            let existing = backend.sealedHeaders.keys.first { $0.lowercased() == name.lowercased() }
            if let existing { backend.sealedHeaders[existing] = nil }
            guard let value else { continue }
            try Self.checkValue(value, field: "headers.\(name)", limit: limits.valueLength)
            backend.sealedHeaders[name] = sealer.seal(value, ownerSalt: ownerSalt, context: backend.sealContext(header: name))
        }
        guard backend.sealedHeaders.count <= limits.headersPerBackend else {
            throw MemberBackendError(.limit, "at most \(limits.headersPerBackend) headers")
        }
        if let environment = input.env, !environment.isEmpty {
            guard case .stdio = backend.transport else {
                throw MemberBackendError(.invalid, "env is for stdio backends; an HTTP backend takes headers")
            }
            for (name, value) in environment {
                guard !name.isEmpty, name.utf8.count <= 128,
                    name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }), name.first?.isNumber == false
                else { throw MemberBackendError(.invalid, "env names are letters, digits and _, not starting with a digit") }
                guard let value else {
                    backend.sealedEnvironment[name] = nil
                    continue
                }
                try Self.checkValue(value, field: "env.\(name)", limit: limits.valueLength)
                backend.sealedEnvironment[name] = sealer.seal(
                    value, ownerSalt: ownerSalt, context: backend.sealContext(environment: name))
            }
            guard backend.sealedEnvironment.count <= limits.variablesPerBackend else {
                throw MemberBackendError(.limit, "at most \(limits.variablesPerBackend) variables")
            }
        }
        try applyOAuth(input, to: &backend, ownerSalt: ownerSalt)
        if let clash = backend.memberHeaders.first(where: { member in
            backend.sealedHeaders.keys.contains { $0.lowercased() == member.lowercased() }
        }) {
            throw MemberBackendError(.invalid, "\(clash) is both a header and a member header")
        }
    }

    /// Headers the transport sets itself; a definition may not override them.
    static let reservedHeaders: Set<String> = [
        "host", "content-length", "content-type", "transfer-encoding", "connection", "accept", "mcp-session-id",
        "mcp-protocol-version", "mcp-method", "mcp-name", "last-event-id", "upgrade", "te", "trailer",
    ]

    static func checkHeaderName(_ name: String) throws(MemberBackendError) {
        let token = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        guard (1...64).contains(name.count), name.allSatisfy(token.contains) else {
            throw MemberBackendError(.invalid, "\"\(name.prefix(64))\" is not a header name")
        }
    }

    static func checkValue(_ value: String, field: String, limit: Int) throws(MemberBackendError) {
        guard value.utf8.count <= limit else { throw MemberBackendError(.limit, "\(field) is longer than \(limit) bytes") }
        guard !value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
            throw MemberBackendError(.invalid, "\(field) may not contain line breaks")
        }
    }

    func salt(of userID: String) async throws(MemberBackendError) -> [UInt8] {
        guard let user = try? await users.user(id: userID), !user.keySalt.isEmpty else {
            throw MemberBackendError(.invalid, "the owner's account is unknown")
        }
        return user.keySalt
    }

    func change(_ action: BackendChange.Action, _ backend: MemberBackend, viewer: Viewer, input: BackendInput)
        -> BackendChange
    {
        var fields: [String] = []
        if input.name != nil { fields.append("name") }
        if input.scope != nil { fields.append("scope") }
        if input.transport != nil || input.url != nil || input.command != nil { fields.append("transport") }
        if input.args != nil { fields.append("args") }
        fields += (input.headers ?? [:]).keys.sorted().map { "headers.\($0)" }
        fields += (input.env ?? [:]).keys.sorted().map { "env.\($0)" }
        if input.memberHeaders != nil { fields.append("member_headers") }
        if input.timeoutSeconds != nil { fields.append("timeout_seconds") }
        if input.auth != nil { fields.append("auth") }
        if input.oauthClientID != nil { fields.append("oauth_client_id") }
        if input.oauthClientSecret != nil { fields.append("oauth_client_secret") }
        if input.oauthScope != nil { fields.append("oauth_scope") }
        if input.sandbox != nil { fields.append("sandbox") }
        return BackendChange(
            action: action, backendID: backend.id, name: backend.name, actor: viewer.userID, owner: backend.ownerID,
            fields: fields)
    }
}

/// A connection's opened secrets: never stored, never logged, dropped with the connection.
public struct OpenedSecrets: Sendable {
    public var headers: [String: String] = [:]
    public var environment: [String: String] = [:]
    /// Member headers the caller has not filled in.
    public var missing: [String] = []
    /// An OAuth backend's hand-made client secret.
    public var oauthClientSecret: String?
}
