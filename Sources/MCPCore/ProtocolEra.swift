/// Which protocol era a peer speaks, with the version negotiated or declared.
public enum ProtocolEra: Sendable, Equatable {
    /// 2026-07-28 and later: stateless requests carrying the `_meta` envelope.
    case modern(version: String)
    /// 2024-11-05 … 2025-11-25: `initialize` first, then a session.
    case handshake(version: String)

    public var version: String {
        switch self {
        case .modern(let version), .handshake(let version): version
        }
    }

    public var isModern: Bool {
        if case .modern = self { return true }
        return false
    }
}
