/// What one caller may reach: every global backend, then the member backends resolved for them.
public struct BackendView: Sendable {
    public let globals: [ManagedBackend]
    public let members: [ManagedBackend]
    /// Names the view's routes: empty for the global backends alone.
    let key: [ObjectIdentifier]

    public init(globals: [ManagedBackend], members: [ManagedBackend] = []) {
        self.globals = globals
        self.members = members
        key = members.map(ObjectIdentifier.init)
    }

    var all: [ManagedBackend] { members.isEmpty ? globals : globals + members }
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

    public init(backends: [ManagedBackend], reachesGlobalBackends: Bool) {
        self.backends = backends
        self.reachesGlobalBackends = reachesGlobalBackends
    }
}
