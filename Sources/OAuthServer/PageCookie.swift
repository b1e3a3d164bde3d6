/// The cookies the pages set: HttpOnly, SameSite=Lax (a sign-in's callback is a top-level GET from another site, which
/// Lax lets through), for the whole site; over https `__Host-` prefixed and Secure, which keeps them ours.
public struct PageCookie: Sendable {
    public let name: String
    let secure: Bool

    /// `baseName` without prefix, e.g. `mcpgw_admin`.
    public init(_ baseName: String, secure: Bool) {
        self.name = secure ? "__Host-" + baseName : baseName
        self.secure = secure
    }

    /// A `Set-Cookie` value; `maxAge` nil lasts the browser session, 0 deletes the cookie.
    public func set(_ value: String, maxAge: Int?) -> String {
        var parts = ["\(name)=\(value)", "Path=/", "HttpOnly", "SameSite=Lax"]
        if secure { parts.append("Secure") }
        if let maxAge { parts.append("Max-Age=\(maxAge)") }
        return parts.joined(separator: "; ")
    }

    public var deleted: String { self.set("", maxAge: 0) }
}
