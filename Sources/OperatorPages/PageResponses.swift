import HTTPTypes
import Hummingbird
import NIOCore

/// The headers of every page `/admin` and `/me` render: never cached, framed or sniffed, embedding nothing.
public enum PageResponses {
    /// `formsMayRedirectAway`: a form on the page posts to us and is sent on to another site (Sign in with Discord);
    /// Chromium applies `form-action` to that redirect, so the page leaves it out.
    public static func html(
        _ body: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:], formsMayRedirectAway: Bool = false
    ) -> Response {
        var fields = headers
        fields[.contentType] = "text/html; charset=utf-8"
        fields[.cacheControl] = "no-store"
        fields[HTTPField.Name("X-Frame-Options")!] = "DENY"
        fields[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        fields[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        fields[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'none'; style-src 'unsafe-inline'; img-src https://cdn.discordapp.com; "
            + (formsMayRedirectAway ? "" : "form-action 'self'; ") + "frame-ancestors 'none'; base-uri 'none'"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    public static func seeOther(_ location: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.location] = location
        fields[.cacheControl] = "no-store"
        return Response(status: .seeOther, headers: fields)
    }
}
