/// Who is looking: the operator (the password holder, through /admin or their own grants) or a
/// member signed in with Discord.
public enum Viewer: Sendable {
    case `operator`
    case member(MemberStanding)

    /// The user id the operator's own rows (grants, user-scoped backends) are stored under. It has
    /// no "discord:" prefix, so no Discord member can ever have it.
    public static let operatorUserID = "operator"

    public var userID: String {
        switch self {
        case .operator: Self.operatorUserID
        case .member(let standing): standing.userID
        }
    }
}
