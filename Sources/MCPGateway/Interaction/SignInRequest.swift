import Foundation
import MCPCore

/// What a caller gets when their call needs them signed in at an OAuth-protected backend first: a client that takes
/// URL-mode elicitations is shown the gateway's sign-in page (the credentials go from the person's browser to the
/// upstream and the gateway, never through the client) and the call is tried again once they say they are done;
/// any other client, or one that declines, gets a tool error whose text gives the link.
enum SignInRequest {
    static func answer(
        _ required: AuthorizationRequired, request: BackendRequest, observer: any BackendRequestObserver,
        retry: @Sendable () async throws -> Result<JSONValue, JSONRPC.Failure>
    ) async -> Result<JSONValue, JSONRPC.Failure> {
        guard request.clientCapabilities["elicitation"]?["url"] != nil else { return .success(toolError(required)) }
        let asked = await observer.serverRequest(
            method: "elicitation/create",
            params: [
                "mode": "url", "elicitationId": .string(UUID().uuidString), "url": .string(required.url),
                "message": .string(
                    "\(required.backend) needs you to sign in there, so that the gateway acts as you. Open the page, "
                        + "sign in, and come back."),
            ])
        guard case .success(let answer) = asked, answer["action"]?.stringValue == "accept" else {
            return .success(toolError(required))
        }
        do {
            return try await retry()
        } catch let stillRequired as AuthorizationRequired {
            return .success(toolError(stillRequired))
        } catch {
            return .success(
                [
                    "content": [["type": "text", "text": .string("\(required.backend) could not run this tool: \(error)")]],
                    "isError": true,
                ])
        }
    }

    static func toolError(_ required: AuthorizationRequired) -> JSONValue {
        [
            "content": [
                [
                    "type": "text",
                    "text": .string(
                        "\(required.backend) needs you to sign in there first, so that the gateway acts as you: open "
                            + "\(required.url) in your browser, sign in, then call this tool again."),
                ]
            ],
            "isError": true,
        ]
    }
}
