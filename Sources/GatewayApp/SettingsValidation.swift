import Foundation
import OAuthServer

extension GatewaySettings {
    /// Refuses unsafe or contradictory settings before anything starts.
    public func validate() throws(SettingsError) {
        try validateIssuer()
        let issuerIsHTTPS = normalizedIssuer.lowercased().hasPrefix("https://")
        if !bindsLoopbackOnly && !issuerIsHTTPS {
            throw SettingsError(
                Name.issuerURL,
                "must be an https URL when \(Name.bindAddress) (\(bindAddress)) is not a loopback address; "
                    + "set \(Name.issuerURL) to the public https URL (e.g. your Tailscale Funnel or proxy address), "
                    + "or bind to 127.0.0.1")
        }
        if allowLoopbackMetadataDocumentsForTests && !bindsLoopbackOnly {
            throw SettingsError(
                Name.allowLoopbackMetadataDocumentsForTests,
                "is a test-only setting and is refused with a non-loopback \(Name.bindAddress); remove it")
        }
        if password != nil && passwordHash != nil {
            throw SettingsError(Name.password, "set either \(Name.password) or \(Name.passwordHash), not both")
        }
        if let password, password.count < PasswordHasher.minimumLength {
            throw SettingsError(Name.password, "must be at least \(PasswordHasher.minimumLength) characters long")
        }
        if let passwordHash, !PasswordHasher.isWellFormed(passwordHash) {
            throw SettingsError(Name.passwordHash, "is not a hash made by `mcp-gateway hash-password`")
        }
        if TrustedProxies(trustedProxies) == nil {
            throw SettingsError(
                Name.trustedProxies, "must list IP addresses or CIDR ranges, e.g. 127.0.0.1,172.16.0.0/12,fd7a:115c:a1e0::/48")
        }
        if TrustedProxies(operatorNetworks) == nil {
            throw SettingsError(
                Name.operatorNetworks, "must list IP addresses or CIDR ranges, e.g. 127.0.0.1,::1,100.64.0.0/10")
        }
        for origin in allowedOrigins where URLComponents(string: origin)?.host == nil {
            throw SettingsError(Name.allowedOrigins, "\"\(origin)\" is not an origin like https://example.com")
        }
        if !["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) {
            throw SettingsError(Name.logLevel, "must be one of trace, debug, info, notice, warning, error, critical")
        }
        if !["text", "json"].contains(logFormat) {
            throw SettingsError(Name.logFormat, "must be text or json")
        }
    }

    private func validateIssuer() throws(SettingsError) {
        let issuer = normalizedIssuer
        guard let components = URLComponents(string: issuer), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            throw SettingsError(
                Name.issuerURL, "must be an absolute http(s) URL such as https://gateway.example.com (got \"\(issuerURL)\")")
        }
        if components.query != nil || issuer.contains("?") {
            throw SettingsError(Name.issuerURL, "must not have a query (got \"\(issuerURL)\")")
        }
        if components.fragment != nil || issuer.contains("#") {
            throw SettingsError(Name.issuerURL, "must not have a fragment (got \"\(issuerURL)\")")
        }
        if components.user != nil || components.password != nil {
            throw SettingsError(Name.issuerURL, "must not contain user information (got \"\(issuerURL)\")")
        }
        if !components.path.isEmpty {
            throw SettingsError(
                Name.issuerURL, "must be the bare origin with no path, e.g. https://gateway.example.com (got \"\(issuerURL)\")")
        }
    }
}
