import Foundation
import OAuthServer
import Testing

extension StoreConformance {
    @Suite struct Clients {
        @Test(arguments: Engine.allCases)
        func aClientReadsBackAsWrittenWithoutAUseItNeverMade(engine: Engine) async throws {
            try await engine.withStores { stores in
                var client = oauthClient("c1")
                client.authMethod = .clientSecretBasic
                client.secretHash = "secret-hash"
                client.lastUsedAt = now.addingTimeInterval(5)  // the store keeps that itself
                try await stores.authorization.insertClient(client)
                client.lastUsedAt = nil
                #expect(try await stores.authorization.client(id: "c1") == client)
                #expect(try await stores.authorization.client(id: "c404") == nil)
            }
        }

        @Test(arguments: Engine.allCases)
        func aClientIdIsTakenOnce(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.authorization
                try await store.insertClient(oauthClient("c1"))
                var other = oauthClient("c1")
                other.name = "Impostor"
                await #expect(throws: (any Error).self) { try await store.insertClient(other) }
                #expect(try await store.client(id: "c1")?.name == "Client c1")
            }
        }

        @Test(arguments: Engine.allCases)
        func aMetadataDocumentClientIsCreatedThenRefreshedKeepingWhatIsTheServers(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.authorization
                let id = "https://app.example/client.json"
                let first = oauthClient(id, kind: .metadataDocument)
                try await store.upsertMetadataDocumentClient(first)
                #expect(try await store.client(id: id) == first)
                try await store.insertTransaction(consentTransaction("tx", client: id))
                let grant = Grant(id: "g1", clientID: id, scope: "mcp", resource: resource, createdAt: now)
                #expect(
                    try await store.approve(transactionID: "tx", grant: grant, code: authorizationCode(client: id, grant: "g1")))
                try await redeem(
                    "code-\(id)", in: store, for: tokenRecords("a1", "r1", grant: "g1", client: id),
                    at: now.addingTimeInterval(30))

                var refreshed = OAuthClient(
                    id: id, kind: .registered, name: "Renamed", redirectURIs: ["https://app.example/new-cb"],
                    authMethod: .clientSecretPost, secretHash: "not-taken", metadataJSON: #"{"client_name":"Renamed"}"#,
                    createdAt: now.addingTimeInterval(999))
                try await store.upsertMetadataDocumentClient(refreshed)
                // The document's fields change; kind, secret, creation and last use stay the server's.
                refreshed.kind = first.kind
                refreshed.secretHash = first.secretHash
                refreshed.createdAt = first.createdAt
                refreshed.lastUsedAt = now.addingTimeInterval(30)
                #expect(try await store.client(id: id) == refreshed)
            }
        }
    }

    @Suite struct OperatorCredential {
        @Test(arguments: Engine.allCases)
        func thePasswordHashIsKeptAndReplaced(engine: Engine) async throws {
            try await engine.withStores { stores in
                #expect(try await stores.authorization.operatorPasswordHash() == nil)
                try await stores.authorization.setOperatorPasswordHash("hash-1")
                #expect(try await stores.authorization.operatorPasswordHash() == "hash-1")
                try await stores.authorization.setOperatorPasswordHash("hash-2")
                #expect(try await stores.authorization.operatorPasswordHash() == "hash-2")
            }
        }
    }
}
