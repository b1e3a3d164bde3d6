import Foundation

/// Which redirect URIs a client may register, and when a requested one matches a registered one.
public enum RedirectURIPolicy {
    /// Checks one redirect URI for registration; returns why it is refused, or nil when acceptable.
    public static func problem(with uri: String) -> String? {
        guard !uri.isEmpty, uri.utf8.count <= 2048 else { return "redirect URI is empty or too long" }
        guard uri.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            return "redirect URI contains spaces, control or non-ASCII characters"
        }
        guard let components = URLComponents(string: uri), let scheme = components.scheme?.lowercased() else {
            return "redirect URI is not an absolute URL"
        }
        guard scheme == "https" || scheme == "http" else {
            return "redirect URI scheme must be https (or http on a loopback host)"
        }
        guard let host = components.host, !host.isEmpty else { return "redirect URI has no host" }
        if components.user != nil || components.password != nil || uri.contains("@") {
            return "redirect URI must not contain user information"
        }
        if components.fragment != nil || uri.contains("#") { return "redirect URI must not contain a fragment" }
        if scheme == "http" && !isLoopbackHost(host) {
            return "http redirect URIs are allowed only on loopback hosts (localhost, 127.0.0.1, [::1])"
        }
        return nil
    }

    /// Exact match, except that an http loopback redirect may use any port (RFC 8252 §7.3).
    public static func matches(requested: String, registered: String) -> Bool {
        if requested == registered { return true }
        guard let want = URLComponents(string: requested), let have = URLComponents(string: registered),
            want.scheme == "http", have.scheme == "http",
            let wantHost = want.host, let haveHost = have.host,
            isLoopbackHost(wantHost), wantHost == haveHost,
            want.user == nil, want.password == nil, want.fragment == nil
        else { return false }
        return want.percentEncodedPath == have.percentEncodedPath
            && want.percentEncodedQuery == have.percentEncodedQuery
    }

    public static func isLoopbackHost(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare == "localhost" || bare == "::1" { return true }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
