import Foundation
import Testing

@testable import Accounts

/// The backend service over the in-memory stores: the scope policy applied to every operation, secrets sealed and
/// never given back, ownership moving with a shared backend's secrets, and the limits.
@Suite struct MemberBackendServiceTests {
    let guild = "100000000000000001"
    let otherGuild = "100000000000000002"

    struct World {
        let service: MemberBackendService
        let store: InMemoryMemberBackendStore
        let users: InMemoryUserStore
        let sealer: SecretSealer
        let changes: ChangeLog
    }

    actor ChangeLog {
        var entries: [BackendChange] = []
        func add(_ change: BackendChange) { entries.append(change) }
    }

    func world(limits: MemberBackendLimits = .init(), refuse: String? = nil) async -> World {
        let store = InMemoryMemberBackendStore()
        let users = InMemoryUserStore()
        for (id, name) in [("1000", "ana"), ("2000", "bob"), ("3000", "mod")] {
            _ = await users.recordSignIn(discordID: id + "00000000000000", name: name, avatar: nil, at: Date())
        }
        let sealer = SecretSealer(masterKey: .generate())
        let changes = ChangeLog()
        let service = MemberBackendService(
            store: store, users: users, sealer: sealer, limits: limits,
            checkURL: { url in refuse.flatMap { url.contains($0) ? "private address" : nil } },
            onChange: { await changes.add($0) })
        return World(service: service, store: store, users: users, sealer: sealer, changes: changes)
    }

    func member(_ id: String, admin: Bool = false, roles: Set<String> = []) -> Viewer {
        .member(
            MemberStanding(
                userID: "discord:\(id)00000000000000",
                guilds: [guild: GuildStanding(guildID: guild, roleIDs: roles, isBackendAdmin: admin)]))
    }

    var ana: Viewer { member("1000") }
    var bob: Viewer { member("2000") }
    var moderator: Viewer { member("3000", admin: true) }

    func http(_ name: String, headers: [String: String?]? = nil, scope: BackendInput.ScopeInput? = nil) -> BackendInput {
        BackendInput(name: name, scope: scope, url: "https://mcp.example.com/\(name)", headers: headers)
    }

    @Test func aMembersBackendIsTheirsAlone() async throws {
        let world = await world()
        let created = try await world.service.create(http("github", headers: ["Authorization": "Bearer ana-key"]), by: ana)
        #expect(created.ownerID == ana.userID && created.scope == .user(ownerID: ana.userID))
        #expect(try await world.service.backends(for: ana).map(\.id) == [created.id])
        #expect(try await world.service.backends(for: bob).isEmpty)
        await #expect(throws: MemberBackendError.notFound) { _ = try await world.service.backend(id: created.id, for: bob) }
        await #expect(throws: MemberBackendError.notFound) {
            _ = try await world.service.update(id: created.id, http("x"), by: bob)
        }
        await #expect(throws: MemberBackendError.notFound) { try await world.service.delete(id: created.id, by: bob) }
        // Two members may each have a backend of the same name.
        _ = try await world.service.create(http("github", headers: ["Authorization": "Bearer bob-key"]), by: bob)
        await #expect(throws: MemberBackendError.self) { _ = try await world.service.create(http("github"), by: ana) }
    }

    @Test func secretsAreSealedUnderTheOwnersKeyAndBoundToTheirRow() async throws {
        let world = await world()
        let created = try await world.service.create(http("github", headers: ["Authorization": "Bearer ana-key"]), by: ana)
        let sealed = try #require(created.sealedHeaders["Authorization"])
        #expect(!sealed.contains("ana-key"))
        let opened = try await world.service.openSecrets(of: created, for: ana.userID)
        #expect(opened.headers == ["Authorization": "Bearer ana-key"])
        // Moved onto another backend's row, the sealed value no longer opens.
        let other = try await world.service.create(http("linear"), by: ana)
        var moved = other
        moved.sealedHeaders = ["Authorization": sealed]
        await #expect(throws: SealError.authenticationFailed) {
            _ = try await world.service.openSecrets(of: moved, for: ana.userID)
        }
    }

    @Test func scopesFollowThePolicy() async throws {
        let world = await world()
        await #expect(throws: MemberBackendError(.forbidden, "only that guild's backend admins add its backends")) {
            _ = try await world.service.create(http("team", scope: .init(kind: "guild", guildID: guild)), by: ana)
        }
        await #expect(throws: MemberBackendError(.forbidden, "only the operator adds global backends")) {
            _ = try await world.service.create(http("everyone", scope: .init(kind: "global")), by: moderator)
        }
        let team = try await world.service.create(http("team", scope: .init(kind: "guild", guildID: guild)), by: moderator)
        #expect(try await world.service.backends(for: ana).map(\.id) == [team.id])
        let outsider = Viewer.member(
            MemberStanding(userID: "discord:9", guilds: [otherGuild: GuildStanding(guildID: otherGuild)]))
        await #expect(throws: MemberBackendError.notFound) { _ = try await world.service.backend(id: team.id, for: outsider) }
        // Ana sees it but may not change it: that is a 403, since she knows it exists.
        await #expect(throws: MemberBackendError.self) { _ = try await world.service.update(id: team.id, http("x"), by: ana) }
        let global = try await world.service.create(http("everyone", scope: .init(kind: "global")), by: .operator)
        #expect(try await world.service.backends(for: outsider).map(\.id) == [global.id])
    }

    @Test func whoeverChangesASharedBackendsSecretsOwnsIt() async throws {
        let world = await world()
        let secondAdmin = member("1000", admin: true)
        let team = try await world.service.create(
            http(
                "team", headers: ["Authorization": "Bearer mod-key", "X-Org": "org-1"],
                scope: .init(kind: "guild", guildID: guild)),
            by: moderator)
        // A plain change keeps the owner.
        let renamed = try await world.service.update(id: team.id, BackendInput(timeoutSeconds: 20), by: secondAdmin)
        #expect(renamed.ownerID == moderator.userID)
        let taken = try await world.service.update(
            id: team.id, BackendInput(headers: ["Authorization": "Bearer ana-key"]), by: secondAdmin)
        #expect(taken.ownerID == secondAdmin.userID)
        let opened = try await world.service.openSecrets(of: taken, for: ana.userID)
        #expect(opened.headers == ["Authorization": "Bearer ana-key", "X-Org": "org-1"])
        // The old owner's key no longer opens anything of it.
        let moderatorSalt = try #require(await world.users.user(id: moderator.userID)).keySalt
        #expect(throws: SealError.authenticationFailed) {
            _ = try world.sealer.open(
                taken.sealedHeaders["X-Org"]!, ownerSalt: moderatorSalt, context: taken.sealContext(header: "X-Org"))
        }
        let actions = await world.changes.entries.map(\.action)
        #expect(actions == [.created, .updated, .updated])
        #expect(await world.changes.entries.last?.fields == ["headers.Authorization"])
    }

    @Test func memberHeadersCarryEachMembersOwnValue() async throws {
        let world = await world()
        let team = try await world.service.create(
            BackendInput(
                name: "search", scope: .init(kind: "guild", guildID: guild), url: "https://mcp.example.com/search",
                memberHeaders: ["X-Api-Key"]), by: moderator)
        #expect(try await world.service.openSecrets(of: team, for: ana.userID).missing == ["X-Api-Key"])
        try await world.service.setMemberCredential(id: team.id, header: "x-api-key", value: "ana-own", by: ana)
        try await world.service.setMemberCredential(id: team.id, header: "X-Api-Key", value: "bob-own", by: bob)
        #expect(try await world.service.openSecrets(of: team, for: ana.userID).headers == ["X-Api-Key": "ana-own"])
        #expect(try await world.service.openSecrets(of: team, for: bob.userID).headers == ["X-Api-Key": "bob-own"])
        await #expect(throws: MemberBackendError.self) {
            try await world.service.setMemberCredential(id: team.id, header: "Authorization", value: "x", by: ana)
        }
    }

    @Test func badDefinitionsAreRefusedAndChangeNothing() async throws {
        var limits = MemberBackendLimits()
        limits.backendsPerUser = 2
        let world = await world(limits: limits, refuse: "internal")
        let cases: [BackendInput] = [
            BackendInput(url: "https://mcp.example.com"),
            BackendInput(name: "Bad Name", url: "https://mcp.example.com"),
            BackendInput(name: "x"),
            BackendInput(name: "x", url: "ftp://mcp.example.com"),
            BackendInput(name: "x", url: "https://user:pw@mcp.example.com"),
            BackendInput(name: "x", url: "https://internal.example.com"),
            BackendInput(name: "x", url: "https://mcp.example.com", headers: ["Host": "evil"]),
            BackendInput(name: "x", url: "https://mcp.example.com", headers: ["X-A": "line\r\nInjected: 1"]),
            BackendInput(name: "x", url: "https://mcp.example.com", headers: ["Bad Header": "v"]),
            BackendInput(name: "x", url: "https://mcp.example.com", headers: ["X-A": String(repeating: "a", count: 5000)]),
            BackendInput(name: "x", url: "https://mcp.example.com", timeoutSeconds: 0),
            BackendInput(name: "x", transport: "stdio", command: "/bin/sh"),
            BackendInput(name: "x", scope: .init(kind: "guild", guildID: "not-a-snowflake"), url: "https://mcp.example.com"),
            BackendInput(name: "x", scope: .init(kind: "team"), url: "https://mcp.example.com"),
        ]
        for input in cases {
            await #expect(throws: MemberBackendError.self, "\(input)") { _ = try await world.service.create(input, by: ana) }
        }
        #expect(try await world.store.allBackends().isEmpty)
        #expect(await world.changes.entries.isEmpty)
        _ = try await world.service.create(http("one"), by: ana)
        _ = try await world.service.create(http("two"), by: ana)
        await #expect(throws: MemberBackendError.self) { _ = try await world.service.create(http("three"), by: ana) }
        // The operator may run commands; members may not until they are sandboxed.
        let command = try await world.service.create(
            BackendInput(name: "local", transport: "stdio", command: "/usr/bin/env", args: ["true"]), by: .operator)
        #expect(command.transport == .stdio(command: "/usr/bin/env", arguments: ["true"]))
    }
}
