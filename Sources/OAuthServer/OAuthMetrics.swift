import Metrics

/// The authorization server's events as swift-metrics counters; the process chooses the backend (Prometheus in
/// `serve`), and without one they cost nothing.
enum OAuthMetrics {
    static func registration(_ outcome: String) {
        Counter(label: "mcp_gateway_oauth_registrations_total", dimensions: [("outcome", outcome)]).increment()
    }

    enum Consent: String {
        case approved, denied
        case wrongPassword = "wrong_password"
        case throttled
        case signedIn = "signed_in"
        case signInRefused = "sign_in_refused"
    }

    static func consent(_ decision: Consent) {
        Counter(label: "mcp_gateway_oauth_consents_total", dimensions: [("decision", decision.rawValue)]).increment()
    }

    /// `outcome` is `issued` or the OAuth error code; grant types other than the two supported count as `other`.
    static func tokenRequest(grantType: String?, outcome: String) {
        let type = grantType == "authorization_code" || grantType == "refresh_token" ? grantType! : "other"
        Counter(label: "mcp_gateway_oauth_token_requests_total", dimensions: [("grant_type", type), ("outcome", outcome)])
            .increment()
    }
}
