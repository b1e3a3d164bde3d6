import Accounts
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An API error: its status and `{"error": …, "message": …}`, thrown from a handler and rendered by Hummingbird.
struct APIProblem: HTTPResponseError, Sendable {
    let status: HTTPResponse.Status
    let code: String
    let message: String

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    init(_ error: MemberBackendError) {
        switch error.kind {
        case .invalid: self.init(.badRequest, "invalid_backend", error.description)
        case .notFound: self.init(.notFound, "not_found", error.description)
        case .forbidden: self.init(.forbidden, "forbidden", error.description)
        case .conflict: self.init(.conflict, "name_taken", error.description)
        case .limit: self.init(.contentTooLarge, "limit", error.description)
        }
    }

    static let unauthorized = APIProblem(
        .unauthorized, "unauthorized", "sign in at /me, or send a personal token with the backends scope")

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = (try? JSONEncoder().encode(["error": code, "message": message])) ?? Data()
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer scope=\"backends\"" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: body)))
    }
}
