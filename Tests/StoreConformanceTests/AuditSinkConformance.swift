import Foundation
import MCPGateway
import Testing

extension StoreConformance {
    @Suite struct Audit {
        static func event(_ tool: String, outcome: AuditEvent.Outcome, at offset: TimeInterval) -> AuditEvent {
            AuditEvent(
                time: now.addingTimeInterval(offset), clientID: offset == 0 ? nil : "c1", backend: "docs", tool: tool,
                durationMilliseconds: 12, outcome: outcome, arguments: #"{"q":"x"}"#,
                result: outcome == .ok ? "found 3" : nil, upstreamStatus: outcome == .ok ? 200 : nil)
        }

        @Test(arguments: Engine.allCases)
        func batchesAreKeptInOrderAsWritten(engine: Engine) async throws {
            try await engine.withStores { stores in
                let first = [
                    Self.event("search", outcome: .ok, at: 0), Self.event("read", outcome: .toolError, at: 1),
                ]
                let second = [Self.event("write", outcome: .failed("backend docs is down"), at: 2)]
                try await stores.audit.append(first)
                try await stores.audit.append([])
                try await stores.audit.append(second)
                #expect(try await stores.auditTrail() == first + second)
            }
        }
    }
}
