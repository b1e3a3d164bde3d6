/// What one caller may reach: every global backend, then the member backends resolved for them.
public struct BackendView: Sendable {
    public let globals: [ManagedBackend]
    public let members: [ManagedBackend]
    /// Names the view's routes: every backend in it, so two views share routes only when they reach the same backends
    /// (a member cut off, or kept from operator-only backends, never borrows a wider view's routes).
    let key: [ObjectIdentifier]

    public init(globals: [ManagedBackend], members: [ManagedBackend] = []) {
        self.globals = globals
        self.members = members
        key = (globals + members).map(ObjectIdentifier.init)
    }

    var all: [ManagedBackend] { members.isEmpty ? globals : globals + members }
}

/// Each caller's own instances of the global backends marked `perSubject` (OAuth-protected upstreams, reached as the
/// caller): `instances` returns `globals` with those replaced, in the same order.
public protocol SubjectBackendProvider: Sendable {
    func instances(replacing globals: [ManagedBackend], for subject: String) async -> [ManagedBackend]
}

/// The member backends (defined by a community's members, scoped to a user, channel or guild) one subject may reach,
/// each connected lazily; the composition root answers it from the definitions and the scope policy.
public protocol MemberBackendResolver: Sendable {
    func resolve(for subject: String) async -> MemberResolution
}

public struct MemberResolution: Sendable {
    public var backends: [ManagedBackend]
    /// False for a member who no longer belongs to the community (in no allowed guild): they reach nothing at all.
    public var reachesGlobalBackends: Bool
    /// Whether the caller is the operator, who also reaches the global backends kept from members.
    public var isOperator: Bool

    public init(backends: [ManagedBackend], reachesGlobalBackends: Bool, isOperator: Bool) {
        self.backends = backends
        self.reachesGlobalBackends = reachesGlobalBackends
        self.isOperator = isOperator
    }
}
