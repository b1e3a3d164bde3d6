import NIOPosix

/// Checks a typed password against the operator password's current hash. The hash is fixed when the settings give
/// the password; otherwise it is read from the database at each check, so a change made with
/// `mcp-gateway password set` (another process) or on `/admin` counts at once.
public struct OperatorPasswordCheck: Sendable {
    public let currentHash: @Sendable () async throws -> String

    public init(currentHash: @escaping @Sendable () async throws -> String) {
        self.currentHash = currentHash
    }

    public static func fixed(_ hash: String) -> OperatorPasswordCheck {
        OperatorPasswordCheck { hash }
    }

    /// Whether `password` is the operator's; false too when the hash cannot be read.
    public func verify(_ password: String) async -> Bool {
        guard let hash = try? await currentHash() else { return false }
        // scrypt is deliberately slow: keep it off the cooperative threads that serve other requests.
        return (try? await NIOThreadPool.singleton.runIfActive { PasswordHasher.verify(password, against: hash) }) ?? false
    }
}
