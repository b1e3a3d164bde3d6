import MCPCore
import Testing

@testable import OAuthServer

@Suite struct ClientMetadataValidatorTests {
    func validate(_ json: String) -> Result<ClientMetadataValidator.Validated, OAuthError> {
        let value = try! JSONValue.parse(Array(json.utf8))
        return Result { () throws(OAuthError) in try ClientMetadataValidator.validate(value.objectValue ?? [:]) }
    }

    @Test func claudeRegistrationIsAccepted() throws {
        let result = try validate(
            #"{"client_name":"Claude","redirect_uris":["https://claude.ai/api/mcp/auth_callback"],"grant_types":["authorization_code","refresh_token"],"response_types":["code"],"token_endpoint_auth_method":"none","application_type":"web"}"#
        ).get()
        #expect(result.authMethod == .none)
        #expect(result.name == "Claude")
    }

    @Test(arguments: [
        (#"{}"#, "invalid_redirect_uri"),
        (#"{"redirect_uris":[]}"#, "invalid_redirect_uri"),
        (#"{"redirect_uris":["http://example.com/cb"]}"#, "invalid_redirect_uri"),
        (#"{"redirect_uris":["https://a.example/cb"],"grant_types":["password"]}"#, "invalid_client_metadata"),
        (#"{"redirect_uris":["https://a.example/cb"],"grant_types":["client_credentials"]}"#, "invalid_client_metadata"),
        (
            #"{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"private_key_jwt"}"#,
            "invalid_client_metadata"
        ),
        (#"{"redirect_uris":["https://a.example/cb"],"response_types":["token"]}"#, "invalid_client_metadata"),
        (#"{"redirect_uris":["https://a.example/cb"],"application_type":"desktop"}"#, "invalid_client_metadata"),
    ])
    func refused(_ json: String, _ error: String) {
        guard case .failure(let failure) = validate(json) else {
            Issue.record("accepted \(json)")
            return
        }
        #expect(failure.code == error)
    }
}
