import Accounts
import Foundation
import Testing

extension StoreConformance {
    /// `resealAll`: every sealed value, once, with the key and context that sealed it; all of it or none.
    @Suite struct Reseal {
        /// Two backends of different owners, with headers and environment, and two members' credentials for each.
        static func seed(_ store: any MemberBackendStore) async throws -> [MemberBackend] {
            let backends = [
                memberBackend("b1", name: "docs", headers: ["Authorization": "s-auth", "X-Extra": "s-extra"]),
                memberBackend(
                    "b2", name: "files", scope: .user(ownerID: "discord:1"), owner: "discord:1",
                    transport: .stdio(command: "files", arguments: []), headers: [:],
                    environment: ["TOKEN": "s-token", "MODE": "s-mode"], memberHeaders: ["X-Api-Key", "X-Team"]),
                oauthBackend("b3", name: "issues", owner: "discord:2", clientSecret: "s-client-secret"),
            ]
            for backend in backends { try await store.insertBackend(backend) }
            for backend in backends {
                for user in ["discord:1", "discord:2"] {
                    for header in backend.memberHeaders {
                        try await store.setMemberCredential(
                            backendID: backend.id, userID: user, header: header, sealed: "s-\(backend.id)-\(user)-\(header)")
                    }
                }
            }
            try await store.setSealingKeyCheck("old-check")
            return backends
        }

        /// What a correct `resealAll` must hand the closure for the seeded store.
        static func expectedLines(_ backends: [MemberBackend]) -> [String] {
            var lines: [String] = []
            for backend in backends {
                for (name, sealed) in backend.sealedHeaders {
                    lines.append(
                        line(SealedValue(userID: backend.ownerID, context: backend.sealContext(header: name), sealed: sealed)))
                }
                for (name, sealed) in backend.sealedEnvironment {
                    lines.append(
                        line(
                            SealedValue(userID: backend.ownerID, context: backend.sealContext(environment: name), sealed: sealed))
                    )
                }
                if let sealed = backend.oauth?.sealedClientSecret {
                    lines.append(
                        line(SealedValue(userID: backend.ownerID, context: backend.sealContextOAuthClientSecret, sealed: sealed)))
                }
                for user in ["discord:1", "discord:2"] {
                    for header in backend.memberHeaders {
                        lines.append(
                            line(
                                SealedValue(
                                    userID: user, context: backend.sealContext(memberHeader: header, userID: user),
                                    sealed: "s-\(backend.id)-\(user)-\(header)")))
                    }
                }
            }
            return lines.sorted()
        }

        @Test(arguments: Engine.allCases)
        func everyValueIsResealedOnceUnderItsOwnersKeyAndContext(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.backends
                let backends = try await Self.seed(store)
                let log = ResealLog()
                try await store.resealAll(keyCheck: "new-check") { value in
                    log.record(value)
                    return "new:" + value.sealed
                }
                #expect(log.lines.sorted() == Self.expectedLines(backends))
                #expect(try await store.sealingKeyCheck() == "new-check")
                for backend in backends {
                    let stored = try #require(try await store.backend(id: backend.id))
                    #expect(stored.sealedHeaders == backend.sealedHeaders.mapValues { "new:" + $0 })
                    #expect(stored.sealedEnvironment == backend.sealedEnvironment.mapValues { "new:" + $0 })
                    #expect(stored.oauth?.sealedClientSecret == backend.oauth?.sealedClientSecret.map { "new:" + $0 })
                    var unsealed = stored
                    unsealed.sealedHeaders = backend.sealedHeaders
                    unsealed.sealedEnvironment = backend.sealedEnvironment
                    unsealed.oauth = backend.oauth
                    #expect(unsealed == backend)
                    for user in ["discord:1", "discord:2"] {
                        let expected = Dictionary(
                            uniqueKeysWithValues: backend.memberHeaders.map { ($0, "new:s-\(backend.id)-\(user)-\($0)") })
                        #expect(try await store.memberCredentials(backendID: backend.id, userID: user) == expected)
                    }
                }
            }
        }

        @Test(arguments: Engine.allCases)
        func aThrowMidwayChangesNothing(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.backends
                let backends = try await Self.seed(store)
                let log = ResealLog()
                await #expect(throws: MidwayFailure.self) {
                    try await store.resealAll(keyCheck: "new-check") { value in
                        log.record(value)
                        if log.lines.count == 5 { throw MidwayFailure() }
                        return "new:" + value.sealed
                    }
                }
                #expect(log.lines.count == 5)
                #expect(try await store.sealingKeyCheck() == "old-check")
                #expect(try await store.allBackends() == backends)
                for backend in backends {
                    for user in ["discord:1", "discord:2"] {
                        let expected = Dictionary(
                            uniqueKeysWithValues: backend.memberHeaders.map { ($0, "s-\(backend.id)-\(user)-\($0)") })
                        #expect(try await store.memberCredentials(backendID: backend.id, userID: user) == expected)
                    }
                }
            }
        }

        @Test(arguments: Engine.allCases)
        func anEmptyStoreStillTakesTheNewKeyCheck(engine: Engine) async throws {
            try await engine.withStores { stores in
                try await stores.backends.resealAll(keyCheck: "first-check") { _ in
                    Issue.record("nothing to reseal")
                    return ""
                }
                #expect(try await stores.backends.sealingKeyCheck() == "first-check")
            }
        }
    }
}
