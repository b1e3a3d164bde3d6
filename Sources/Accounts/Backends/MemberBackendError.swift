/// Why a backend change was refused: an HTTP status for the API and a message that says what to do.
public struct MemberBackendError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// 400: the definition is wrong.
        case invalid
        /// 404: no such backend, or one this user may not see (the two look alike, so ids do not leak).
        case notFound
        /// 403: they may see it but not change it, or may not use this scope.
        case forbidden
        /// 409: the name is taken in that scope.
        case conflict
        /// 413 / 429-like limits: too large, too many.
        case limit
    }

    public var kind: Kind
    public var description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    public static let notFound = MemberBackendError(.notFound, "no such backend")
}
