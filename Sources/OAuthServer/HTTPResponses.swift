import Foundation
import HTTPTypes
import Hummingbird
import MCPCore
import NIOCore

/// Small builders for the responses the authorization server sends.
enum OAuthResponses {
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        fields[.cacheControl] = "no-store"
        fields[.pragma] = "no-cache"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(data: value.serialized())))
    }

    static func error(_ error: OAuthError, headers: HTTPFields = [:]) -> Response {
        json(
            ["error": .string(error.code), "error_description": .string(error.description)], status: error.status,
            headers: headers)
    }

    /// Headers for every HTML page this server renders (consent and error pages).
    static func html(_ body: String, status: HTTPResponse.Status = .ok, extraHeaders: HTTPFields = [:]) -> Response {
        var fields = extraHeaders
        fields[.contentType] = "text/html; charset=utf-8"
        fields[.cacheControl] = "no-store"
        fields[.pragma] = "no-cache"
        fields[.xFrameOptions] = "DENY"
        fields[.xContentTypeOptions] = "nosniff"
        fields[.referrerPolicy] = "no-referrer"
        // No form-action: Chromium applies it to the redirect that follows the consent POST.
        fields[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// 303 See Other, so the browser follows with a GET (claude.ai's callback accepts only GET).
    static func seeOther(_ location: String) -> Response {
        var fields = HTTPFields()
        fields[.location] = location
        fields[.cacheControl] = "no-store"
        fields[.referrerPolicy] = "no-referrer"
        return Response(status: .seeOther, headers: fields)
    }
}

extension HTTPField.Name {
    static let xFrameOptions = Self("X-Frame-Options")!
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let pragma = Self("Pragma")!
}

extension Request {
    /// Collects the body up to `limit` bytes; a larger body is refused with 413.
    mutating func collectBody(limit: Int) async throws(OAuthError) -> ByteBuffer {
        do {
            return try await collectBody(upTo: limit)
        } catch {
            if error is NIOTooManyBytesError {
                throw OAuthError("invalid_request", "request body larger than \(limit) bytes", status: .contentTooLarge)
            }
            throw OAuthError.invalidRequest("could not read the request body")
        }
    }

    var isFormEncoded: Bool {
        headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") ?? false
    }
}

extension URLComponents {
    /// Appends query items to a redirect URI, keeping any query it already has.
    static func appending(_ items: [URLQueryItem], to uri: String) -> String {
        guard var components = URLComponents(string: uri) else { return uri }
        let encoded = items.map { item in
            URLQueryItem(name: item.name, value: item.value?.addingPercentEncoding(withAllowedCharacters: .oauthQueryValue))
        }
        components.percentEncodedQueryItems = (components.percentEncodedQueryItems ?? []) + encoded
        return components.string ?? uri
    }
}

extension CharacterSet {
    /// Unreserved characters only, so `+`, `&`, `=` in values are always escaped.
    static let oauthQueryValue = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
