import Foundation
import OAuthServer

/// Changing the operator password from `/admin`: the composition root answers it with the stored password.
public protocol OperatorPasswordChanger: Sendable {
    /// Where the password comes from now, which decides what the password section offers.
    var passwordState: OperatorPasswordState { get }
    /// Checks `current` and stores `new`; with `revokeGrants`, revokes every grant in the same transaction and returns
    /// how many. Throws `PasswordChangeError` when refused.
    func changePassword(current: String, new: String, revokeGrants: Bool, now: Date) async throws -> Int
}

public enum OperatorPasswordState: Sendable, Equatable {
    /// `OAUTH_PASSWORD` or `OAUTH_PASSWORD_HASH`: changed there, not here.
    case configured
    /// Generated on the first start and still unchanged; the file keeps it.
    case generated(file: String)
    case stored
}

/// Why a password change is refused; each says what to do instead.
public enum PasswordChangeError: Error, Equatable, CustomStringConvertible {
    case configured, tooShort, unchanged, wrongPassword, noPassword

    public var description: String {
        switch self {
        case .configured:
            "the password is set by OAUTH_PASSWORD or OAUTH_PASSWORD_HASH; "
                + "change it there and restart the gateway"
        case .tooShort: "the new password must be at least \(PasswordHasher.minimumLength) characters long"
        case .unchanged: "the new password is the current one"
        case .wrongPassword: "the current password is wrong"
        case .noPassword: "no operator password is stored yet: start the gateway once"
        }
    }
}
