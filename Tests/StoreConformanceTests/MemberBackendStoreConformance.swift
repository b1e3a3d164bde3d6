import Accounts
import Foundation
import Testing

extension StoreConformance {
    @Suite struct MemberBackends {
        @Test(arguments: Engine.allCases)
        func backendsReadBackAsWritten(engine: Engine) async throws {
            try await engine.withStores { stores in
                let written = [
                    memberBackend("b1", name: "docs"),
                    memberBackend(
                        "b2", name: "events", scope: .guild(guildID: "g1", roleIDs: ["r1", "r2"]),
                        transport: .sse(url: "https://sse.example/sse?x=1"), headers: [:], memberHeaders: []),
                    memberBackend(
                        "b3", name: "files", scope: .channel(guildID: "g1", channelID: "c1"), owner: "discord:1",
                        transport: .stdio(command: "/usr/bin/files-mcp", arguments: ["--root", "/srv", ""]),
                        headers: [:], environment: ["TOKEN": "sealed-token", "MODE": "sealed-mode"]),
                    memberBackend(
                        "b4", name: "mine", scope: .user(ownerID: "discord:1"), owner: "discord:1",
                        transport: .stdio(command: "mine", arguments: [])),
                    oauthBackend("b5", name: "notes"),
                    oauthBackend("b6", name: "tickets", clientSecret: nil),
                ]
                for backend in written { try await stores.backends.insertBackend(backend) }
                for backend in written { #expect(try await stores.backends.backend(id: backend.id) == backend) }
                #expect(try await stores.backends.allBackends() == written)
                #expect(try await stores.backends.backend(id: "b404") == nil)
            }
        }

        @Test(arguments: Engine.allCases)
        func allBackendsComeByNameThenID(engine: Engine) async throws {
            try await engine.withStores { stores in
                try await stores.backends.insertBackend(memberBackend("b3", name: "beta"))
                try await stores.backends.insertBackend(
                    memberBackend("b2", name: "alpha", scope: .user(ownerID: "discord:2"), owner: "discord:2"))
                try await stores.backends.insertBackend(
                    memberBackend("b1", name: "alpha", scope: .user(ownerID: "discord:1"), owner: "discord:1"))
                try await stores.backends.insertBackend(memberBackend("b0", name: "gamma"))
                #expect(try await stores.backends.allBackends().map(\.id) == ["b1", "b2", "b3", "b0"])
            }
        }

        @Test(arguments: Engine.allCases)
        func anUpdateReplacesTheRowAndKeepsItsCredentials(engine: Engine) async throws {
            try await engine.withStores { stores in
                try await stores.backends.insertBackend(memberBackend("b1", name: "docs"))
                try await stores.backends.setMemberCredential(
                    backendID: "b1", userID: "discord:1", header: "X-Api-Key", sealed: "sealed-key")
                var changed = memberBackend(
                    "b1", name: "handbook", scope: .guild(guildID: "g1", roleIDs: []),
                    transport: .sse(url: "https://sse.example/sse"), headers: ["X-Other": "sealed-other"],
                    memberHeaders: ["X-Api-Key", "X-Team"])
                changed.timeoutSeconds = 5
                changed.updatedAt = now.addingTimeInterval(7200)
                changed.updatedBy = "discord:9"
                #expect(try await stores.backends.updateBackend(changed))
                #expect(try await stores.backends.backend(id: "b1") == changed)
                #expect(try await stores.backends.allBackends() == [changed])
                #expect(
                    try await stores.backends.memberCredentials(backendID: "b1", userID: "discord:1") == [
                        "X-Api-Key": "sealed-key"
                    ])
            }
        }

        @Test(arguments: Engine.allCases)
        func anUpdateOfAnUnknownBackendIsFalseAndWritesNothing(engine: Engine) async throws {
            try await engine.withStores { stores in
                let updated = try await stores.backends.updateBackend(memberBackend("b404", name: "ghost"))
                #expect(updated == false)
                #expect(try await stores.backends.backend(id: "b404") == nil)
                #expect(try await stores.backends.allBackends().isEmpty)
            }
        }

        @Test(arguments: Engine.allCases)
        func aDeleteTakesTheBackendsCredentialsAlong(engine: Engine) async throws {
            try await engine.withStores { stores in
                try await stores.backends.insertBackend(memberBackend("b1", name: "docs"))
                try await stores.backends.insertBackend(memberBackend("b2", name: "wiki"))
                for backendID in ["b1", "b2"] {
                    try await stores.backends.setMemberCredential(
                        backendID: backendID, userID: "discord:1", header: "X-Api-Key", sealed: "sealed-\(backendID)")
                }
                #expect(try await stores.backends.deleteBackend(id: "b1"))
                #expect(try await stores.backends.deleteBackend(id: "b1") == false)
                #expect(try await stores.backends.backend(id: "b1") == nil)
                #expect(try await stores.backends.allBackends().map(\.id) == ["b2"])
                #expect(try await stores.backends.memberCredentials(backendID: "b1", userID: "discord:1").isEmpty)
                // Gone, not hidden: a backend made again under the id starts with no credentials.
                try await stores.backends.insertBackend(memberBackend("b1", name: "docs"))
                #expect(try await stores.backends.memberCredentials(backendID: "b1", userID: "discord:1").isEmpty)
                #expect(
                    try await stores.backends.memberCredentials(backendID: "b2", userID: "discord:1") == [
                        "X-Api-Key": "sealed-b2"
                    ])
            }
        }

        @Test(arguments: Engine.allCases)
        func aNameIsUniqueWithinItsScopeOnly(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.backends
                try await store.insertBackend(memberBackend("b1", name: "github"))
                await #expect(throws: MemberBackendStoreError.nameTaken("github")) {
                    try await store.insertBackend(memberBackend("b2", name: "github"))
                }
                // A guild's names are one space whatever roles a backend asks for.
                try await store.insertBackend(
                    memberBackend("b3", name: "github", scope: .guild(guildID: "g1", roleIDs: ["r1"])))
                await #expect(throws: MemberBackendStoreError.nameTaken("github")) {
                    try await store.insertBackend(
                        memberBackend("b4", name: "github", scope: .guild(guildID: "g1", roleIDs: ["r2"])))
                }
                try await store.insertBackend(
                    memberBackend("b5", name: "github", scope: .guild(guildID: "g2", roleIDs: ["r1"])))
                try await store.insertBackend(
                    memberBackend("b6", name: "github", scope: .channel(guildID: "g1", channelID: "c1")))
                // Two members may each have their own.
                try await store.insertBackend(
                    memberBackend("b7", name: "github", scope: .user(ownerID: "discord:1"), owner: "discord:1"))
                try await store.insertBackend(
                    memberBackend("b8", name: "github", scope: .user(ownerID: "discord:2"), owner: "discord:2"))
                await #expect(throws: MemberBackendStoreError.nameTaken("github")) {
                    try await store.insertBackend(
                        memberBackend("b9", name: "github", scope: .user(ownerID: "discord:1"), owner: "discord:1"))
                }
                // A refused insert wrote nothing.
                #expect(try await store.allBackends().map(\.id) == ["b1", "b3", "b5", "b6", "b7", "b8"])
            }
        }

        @Test(arguments: Engine.allCases)
        func anUpdateCannotTakeAnotherBackendsName(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.backends
                let github = memberBackend("b1", name: "github")
                let gitlab = memberBackend("b2", name: "gitlab")
                try await store.insertBackend(github)
                try await store.insertBackend(gitlab)
                await #expect(throws: MemberBackendStoreError.nameTaken("github")) {
                    _ = try await store.updateBackend(memberBackend("b2", name: "github", headers: [:]))
                }
                #expect(try await store.backend(id: "b2") == gitlab)
                // Keeping its own name is no clash; another scope has room for it.
                #expect(try await store.updateBackend(memberBackend("b1", name: "github", headers: [:])))
                #expect(
                    try await store.updateBackend(
                        memberBackend("b2", name: "github", scope: .user(ownerID: User.operatorID))))
                #expect(try await store.allBackends().map(\.nameScopeKey) == ["global", "user:operator"])
            }
        }

        @Test(arguments: Engine.allCases)
        func membersCredentialsAreSetReadAndRemovedPerMember(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.backends
                try await store.insertBackend(memberBackend("b1", name: "docs", memberHeaders: ["X-Api-Key", "X-Team"]))
                try await store.setMemberCredential(backendID: "b1", userID: "discord:1", header: "X-Api-Key", sealed: "k1")
                try await store.setMemberCredential(backendID: "b1", userID: "discord:1", header: "X-Team", sealed: "t1")
                try await store.setMemberCredential(backendID: "b1", userID: "discord:2", header: "X-Api-Key", sealed: "k2")
                #expect(
                    try await store.memberCredentials(backendID: "b1", userID: "discord:1") == [
                        "X-Api-Key": "k1", "X-Team": "t1",
                    ])
                #expect(try await store.memberCredentials(backendID: "b1", userID: "discord:2") == ["X-Api-Key": "k2"])
                #expect(try await store.memberCredentials(backendID: "b1", userID: "discord:3").isEmpty)

                try await store.setMemberCredential(backendID: "b1", userID: "discord:1", header: "X-Api-Key", sealed: "k1b")
                try await store.setMemberCredential(backendID: "b1", userID: "discord:1", header: "X-Team", sealed: nil)
                try await store.setMemberCredential(backendID: "b1", userID: "discord:2", header: "X-Team", sealed: nil)
                #expect(try await store.memberCredentials(backendID: "b1", userID: "discord:1") == ["X-Api-Key": "k1b"])
                #expect(try await store.memberCredentials(backendID: "b1", userID: "discord:2") == ["X-Api-Key": "k2"])
            }
        }

        @Test(arguments: Engine.allCases)
        func aCredentialForAnUnknownBackendIsDropped(engine: Engine) async throws {
            try await engine.withStores { stores in
                try await stores.backends.setMemberCredential(
                    backendID: "b404", userID: "discord:1", header: "X-Api-Key", sealed: "k1")
                #expect(try await stores.backends.memberCredentials(backendID: "b404", userID: "discord:1").isEmpty)
                try await stores.backends.insertBackend(memberBackend("b404", name: "late"))
                #expect(try await stores.backends.memberCredentials(backendID: "b404", userID: "discord:1").isEmpty)
            }
        }

        @Test(arguments: Engine.allCases)
        func theKeyCheckIsKeptAndReplaced(engine: Engine) async throws {
            try await engine.withStores { stores in
                #expect(try await stores.backends.sealingKeyCheck() == nil)
                try await stores.backends.setSealingKeyCheck("check-1")
                #expect(try await stores.backends.sealingKeyCheck() == "check-1")
                try await stores.backends.setSealingKeyCheck("check-2")
                #expect(try await stores.backends.sealingKeyCheck() == "check-2")
            }
        }
    }
}
