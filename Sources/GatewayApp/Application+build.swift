import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MCPGateway
import Mustache
import NIOCore
import OAuthServer
import Prometheus
import Storage

/// Builds the whole gateway: storage, the authorization server, `/mcp`, health and status, and background services.
/// `announce` receives a password generated on first start, to show it to the operator once.
/// `metrics` is the registry `/metrics` renders: the one `GatewayMetrics.bootstrap()` made the process's backend.
public func buildApplication(
    settings: GatewaySettings, backends: [BackendDefinition] = [], environment: [String: String] = [:], logger: Logger,
    metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), announce: @escaping @Sendable (String) -> Void
) async throws -> some ApplicationProtocol {
    try settings.validate()

    let database: GatewayDatabase
    do {
        database = try GatewayDatabase(path: settings.databasePath)
    } catch {
        throw SettingsError(GatewaySettings.Name.databasePath, "\(error)")
    }
    let (pages, adminPages) = try await loadPages(directory: settings.templatesDirectory)
    let passwordHash = try await OperatorPassword.resolveHash(settings: settings, store: database, announce: announce)

    var oauth = OAuthConfiguration(
        issuer: settings.normalizedIssuer,
        accessTokenTTL: TimeInterval(settings.accessTokenTTL),
        refreshTokenTTL: TimeInterval(settings.refreshTokenTTL),
        refreshReuseGrace: TimeInterval(settings.refreshReuseGrace))
    oauth.allowLoopbackMetadataDocuments = settings.allowLoopbackMetadataDocumentsForTests

    let metadataDocuments = ClientMetadataDocumentResolver(
        allowLoopback: settings.allowLoopbackMetadataDocumentsForTests, logger: logger)

    // All grant traffic goes through the cache, so every revocation made here also clears it.
    let grants = CachingGrantStore(database)
    let sessions = SessionRegistry()
    let bearer = BearerAuthenticator(configuration: oauth, grants: grants, personalTokens: database)

    // Only HTTP and SSE backends need an HTTP client; without one, nothing must be shut down.
    let httpClient = backends.contains(where: \.needsHTTPClient) ? makeBackendHTTPClient() : nil
    let registry: BackendRegistry
    do {
        registry = try BackendFactory.makeRegistry(
            backends, settings: settings, httpClient: httpClient, environment: environment, logger: logger)
    } catch {
        try? await httpClient?.shutdown()
        throw error
    }
    await registry.start()
    await sessions.onSessionEnd { sessionID in Task { await registry.endSession(sessionID) } }
    let auditor = AuditRecorder(sink: database, logger: logger)
    let health = HealthController<GatewayRequestContext>(grants: grants, registry: registry, startedAt: Date())

    let router = Router(context: GatewayRequestContext.self)
    router.add(middleware: ForwardedClientMiddleware(proxies: TrustedProxies(settings.trustedProxies) ?? .none))
    router.add(middleware: AccessLogMiddleware())
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: CORSPolicyMiddleware())

    health.addPublicRoutes(to: router)
    MetadataController<GatewayRequestContext>(configuration: oauth).addRoutes(to: router)
    RegistrationController<GatewayRequestContext>(clients: database).addRoutes(to: router)
    AuthorizationController<GatewayRequestContext>(
        configuration: oauth, clients: database, transactions: database, grants: grants,
        metadataDocuments: metadataDocuments, pages: pages, throttle: ConsentThrottle(),
        operatorPasswordHash: passwordHash
    ).addRoutes(to: router)
    TokenController<GatewayRequestContext>(configuration: oauth, clients: database, grants: grants).addRoutes(to: router)

    // `/status` opens to the operator's personal tokens (scope `status`) and to any client's access token.
    health.addProtectedRoutes(
        to: router.group().add(
            middleware: BearerAuthMiddleware(
                authenticator: bearer, acceptedScopes: [PersonalTokens.statusScope, OAuthConfiguration.defaultScope])))
    AdminController<GatewayRequestContext>(
        database: database, grants: grants, registry: registry, pages: adminPages, passwordHash: passwordHash,
        secureCookies: oauth.issuer.hasPrefix("https://")
    ).addRoutes(to: router)
    MetricsController<GatewayRequestContext>(registry: metrics, backends: registry, grants: grants, startedAt: Date())
        .addRoutes(
            to: router.group().add(
                middleware: BearerAuthMiddleware(authenticator: bearer, acceptedScopes: [PersonalTokens.statusScope])))
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
            registry: registry, httpClient: httpClient, interval: .seconds(settings.healthIntervalSeconds), logger: logger),
        AuditWriter(recorder: auditor))
    return app
}

private func loadPages(directory: String) async throws -> (ConsentPages, AdminPages) {
    let library: MustacheLibrary
    do {
        library = try await MustacheLibrary(directory: directory)
    } catch {
        throw SettingsError(GatewaySettings.Name.templatesDirectory, "cannot load the templates in \(directory): \(error)")
    }
    for name in ConsentPages.requiredTemplates + AdminPages.requiredTemplates where library.getTemplate(named: name) == nil {
        throw SettingsError(
            GatewaySettings.Name.templatesDirectory,
            "\(directory)/\(name).mustache is missing; point \(GatewaySettings.Name.templatesDirectory) at the templates folder")
    }
    return (ConsentPages(library: library), AdminPages(library: library))
}

private func makeBackendHTTPClient() -> HTTPClient {
    var configuration = HTTPClient.Configuration(
        redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10)), connectionPool: .init(idleTimeout: .seconds(60)))
    configuration.httpVersion = .automatic
    // A refused connection fails the call at once; the per-backend circuit breaker decides when to try again.
    configuration.connectionPool.retryConnectionEstablishment = false
    // Streams (event streams, slow calls) each hold a connection; the default of 8 per host would queue calls.
    configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 256
    return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
}
