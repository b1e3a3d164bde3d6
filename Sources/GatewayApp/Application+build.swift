import Accounts
import DiscordBackend
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MCPBackends
import MCPGateway
import Mustache
import NIOCore
import OAuthServer
import OperatorPages
import OutboundHTTP
import Prometheus
import Storage
import Synchronization
import UpstreamAuth

/// Builds the whole gateway: storage, the authorization server, `/mcp`, health and status, and background services.
/// `announce` receives a password generated on first start, and the file that keeps it (nil when it could not be
/// written), to tell the operator.
/// `metrics` is the registry `/metrics` renders: the one `GatewayMetrics.bootstrap()` made the process's backend.
/// `reloadEnvironment` gives the variables anew when the backends are reloaded (SIGHUP, an edited backends file);
/// without it they come from `environment`.
public func buildApplication(
    settings: GatewaySettings, backends: [BackendDefinition] = [], environment: [String: String] = [:],
    reloadEnvironment: (@Sendable () -> [String: String])? = nil, logger: Logger,
    metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
    announce: @escaping @Sendable (_ password: String, _ file: String?) -> Void
) async throws -> some ApplicationProtocol {
    try settings.validate()

    let database: GatewayDatabase
    do {
        database = try GatewayDatabase(path: settings.databasePath)
    } catch {
        throw SettingsError(GatewaySettings.Name.databasePath, "\(error)")
    }
    let (pages, adminPages, library) = try await loadPages(directory: settings.templatesDirectory)
    let operatorPassword = OperatorPassword(settings: settings, database: database)
    let passwordCheck = try await operatorPassword.prepare(announce: announce, logger: logger)

    let oauth = settings.oauthConfiguration

    let metadataDocuments = ClientMetadataDocumentResolver(
        allowLoopback: settings.allowLoopbackMetadataDocumentsForTests, logger: logger)

    // All grant traffic goes through the cache, so every revocation made here also clears it.
    let grants = CachingGrantStore(database)
    let sessions = SessionRegistry()
    let bearer = BearerAuthenticator(configuration: oauth, grants: grants, personalTokens: database)

    let http = OutboundHTTP()
    let sandbox = await CommandSandbox.locate(
        runtimeRoot: settings.sandboxDirectory, userIDs: settings.sandboxUserIDs,
        egress: MemberAddressPolicy(allowedHosts: settings.memberPrivateHosts).egressPolicy, caps: settings.sandboxCaps,
        idle: settings.sandboxIdle, logger: logger)
    let registry: BackendRegistry
    // The reloader runs a backend found to want OAuth as an OAuth backend; it is made after the registry.
    let reloaderReference = Mutex<BackendReloader?>(nil)
    do {
        registry = try BackendFactory.makeRegistry(
            backends, settings: settings, http: http, sandbox: sandbox, environment: environment,
            onOAuthChallenge: { name, challenge in reloaderReference.withLock { $0 }?.challengeHook(name, challenge) },
            logger: logger)
    } catch {
        await http.shutdown()
        throw error
    }
    let reloader = BackendReloader(
        settings: settings, definitions: backends, environment: reloadEnvironment ?? { environment }, registry: registry,
        http: http, sandbox: sandbox, drain: .seconds(settings.shutdownTimeoutSeconds), logger: logger)
    reloaderReference.withLock { $0 = reloader }
    let auditor = AuditRecorder(sink: database, logger: logger)
    let members: MemberPlatform
    do {
        members = try await MemberPlatform.make(
            settings: settings, database: database, registry: registry, http: http, sandbox: sandbox, auditor: auditor,
            logger: logger)
    } catch {
        await http.shutdown()
        throw error
    }
    let upstream = await UpstreamPlatform.make(
        settings: settings, database: database, registry: registry, members: members.pool, sealer: members.sealer,
        http: http, logger: logger)
    await registry.start()
    await sessions.onSessionEnd { sessionID in Task { await registry.endSession(sessionID) } }

    let health = HealthController<GatewayRequestContext>(
        grants: grants, registry: registry, reloader: reloader, members: members.pool,
        upstream: upstream.authorizations, sandbox: sandbox, startedAt: Date())
    let router = Router(context: GatewayRequestContext.self)
    router.add(middleware: ForwardedClientMiddleware(proxies: TrustedProxies(settings.trustedProxies) ?? .none))
    router.add(middleware: AccessLogMiddleware())
    router.add(middleware: RequestMetricsMiddleware())
    router.add(middleware: CORSPolicyMiddleware())

    health.addPublicRoutes(to: router)
    MetadataController<GatewayRequestContext>(configuration: oauth).addRoutes(to: router)
    RegistrationController<GatewayRequestContext>(configuration: oauth, clients: database).addRoutes(to: router)
    let passwordThrottle = ConsentThrottle()
    // The pages' forms refuse posts from other sites; the bearer-token routes need no such check.
    let pageForms = router.group().add(
        middleware: SameOriginFormMiddleware<GatewayRequestContext>(ownOrigins: [oauth.issuer]) { reason in
            pages.error(
                title: "Refused: sent from another site",
                message: "Nothing was done: \(reason). Open \(oauth.issuer) yourself and try again.", status: .forbidden)
        })
    AuthorizationController<GatewayRequestContext>(
        configuration: oauth, clients: database, transactions: database, grants: grants,
        metadataDocuments: metadataDocuments, pages: pages, throttle: passwordThrottle,
        operatorPassword: passwordCheck, memberSignIn: members.signIn,
        consentOptions: GatewayConsentOptions(users: database, registry: registry, pool: members.pool)
    ).addRoutes(to: pageForms)
    TokenController<GatewayRequestContext>(configuration: oauth, clients: database, grants: grants).addRoutes(to: router)

    BackendsAPIController<GatewayRequestContext>(
        service: members.service, viewers: members.viewers, users: database, sessions: members.sessions,
        sessionCookie: PageCookie("mcpgw_me", secure: oauth.issuer.hasPrefix("https://")), bearer: bearer,
        tokenScope: GatewayScopes.backends, issuer: oauth.issuer
    ).addRoutes(to: pageForms)
    let admin = AdminController<GatewayRequestContext>(
        queries: database, grants: grants, registry: registry, pages: adminPages, password: passwordCheck,
        operatorPassword: operatorPassword, secureCookies: oauth.issuer.hasPrefix("https://"), throttle: passwordThrottle,
        members: members.service, users: database, upstream: upstream.authorizations)
    MemberPagesController<GatewayRequestContext>(
        library: library, signIn: members.signIn, service: members.service, viewers: members.viewers, users: database,
        sessions: members.sessions, issuer: oauth.issuer, upstream: upstream.authorizations,
        operatorSignedIn: { request in await admin.isSignedIn(request) }
    ).addRoutes(to: pageForms)

    // `/status` opens to the operator's personal tokens (scope `status`) and to any client's access token.
    health.addProtectedRoutes(
        to: router.group().add(
            middleware: BearerAuthMiddleware(
                authenticator: bearer, acceptedScopes: [GatewayScopes.status, GatewayScopes.mcp])))
    // The operator's surfaces, kept to GATEWAY_OPERATOR_NETWORKS when it is set.
    let operatorOnly = OperatorNetworkMiddleware<GatewayRequestContext>(
        allowed: AddressRanges(settings.operatorNetworks) ?? AddressRanges([])!)
    admin.addRoutes(to: pageForms.group().add(middleware: operatorOnly))
    MetricsController<GatewayRequestContext>(registry: metrics, backends: registry, grants: grants, startedAt: Date())
        .addRoutes(
            to: router.group().add(middleware: operatorOnly).add(
                middleware: BearerAuthMiddleware(authenticator: bearer, acceptedScopes: [GatewayScopes.status])))
    let mcp = router.group()
        .add(middleware: OriginCheckMiddleware(ownOrigin: oauth.issuer, additionalOrigins: settings.allowedOrigins))
        .add(middleware: BearerAuthMiddleware(authenticator: bearer))
    let methods = GatewayMethods(
        identity: MCPServerIdentity(
            version: GatewayVersion.current,
            instructions: "mcp-gateway: one endpoint in front of this deployment's MCP backends."),
        registry: registry, pageSize: settings.listPageSize, auditor: auditor,
        shutdownGrace: ShutdownGrace(limit: .seconds(settings.shutdownTimeoutSeconds)))
    MCPEndpointController<GatewayRequestContext>(methods: methods, sessions: sessions).addRoutes(to: mcp)

    let readLimit = TimeAmount.seconds(Int64(settings.requestReadTimeoutSeconds))
    var app = Application(
        router: router,
        server: .http1(additionalChannelHandlers: [RequestReadDeadlineHandler(limit: readLimit), ClientHalfCloseHandler()]),
        configuration: .init(address: .hostname(settings.bindAddress, port: settings.port), serverName: "mcp-gateway"),
        logger: logger)
    app.addServices(
        Janitor(grants: grants, unusedClientTTL: oauth.unusedClientTTL, interval: .seconds(600), logger: logger),
        SessionJanitor(sessions: sessions, interval: .seconds(60)),
        MetadataResolverShutdown(resolver: metadataDocuments),
        BackendSupervisor(
            registry: registry, http: http, interval: .seconds(settings.healthIntervalSeconds), logger: logger),
        AuditWriter(recorder: auditor),
        MemberBackendJanitor(pool: members.pool, interval: .seconds(5)),
        UpstreamBackendJanitor(
            pool: upstream.pool, authorizations: upstream.authorizations, members: members.pool, interval: .seconds(5),
            sweepEvery: .seconds(max(5, settings.members?.cacheSeconds ?? 300))),
        BackendWatcher(reloader: reloader, interval: .seconds(2)))
    return app
}

/// The built-in pages, or those of `directory` when the operator replaces them (every page must be there).
func loadPages(directory: String?) async throws(SettingsError) -> (ConsentPages, AdminPages, MustacheLibrary) {
    let library: MustacheLibrary
    if let directory {
        do {
            library = try await MustacheLibrary(directory: directory)
        } catch {
            throw SettingsError(GatewaySettings.Name.templatesDirectory, "cannot load the templates in \(directory): \(error)")
        }
        let required =
            ConsentPages.requiredTemplates + AdminPages.requiredTemplates
            + MemberPagesController<GatewayRequestContext>.requiredTemplates
        for name in required where library.getTemplate(named: name) == nil {
            throw SettingsError(
                GatewaySettings.Name.templatesDirectory,
                "\(directory)/\(name).mustache is missing; a replacement folder needs every page "
                    + "(\(required.joined(separator: ", "))), "
                    + "or unset \(GatewaySettings.Name.templatesDirectory) to use the built-in ones")
        }
    } else {
        var builtIn = MustacheLibrary()
        for (name, text) in BuiltInTemplates.all {
            do {
                try builtIn.register(text, named: name)
            } catch {
                preconditionFailure("built-in template \(name) does not parse: \(error)")
            }
        }
        library = builtIn
    }
    return (ConsentPages(library: library), AdminPages(library: library), library)
}
