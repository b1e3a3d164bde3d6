import HTTPTypes
import Hummingbird
import Testing

@testable import MCPGateway

@Suite struct AcceptHeaderTests {
    static func request(accept: [String]) -> Request {
        var fields = HTTPFields()
        for value in accept { fields.append(HTTPField(name: .accept, value: value)) }
        return Request(
            head: HTTPRequest(method: .post, scheme: "http", authority: "gw", path: "/mcp", headerFields: fields),
            body: .init(buffer: .init()))
    }

    @Test(arguments: [
        ([], "application/json", true),
        (["application/json, text/event-stream"], "text/event-stream", true),
        (["application/json, text/event-stream"], "application/json", true),
        (["  Application/JSON ; q=0.9"], "application/json", true),
        (["text/*"], "text/event-stream", true),
        (["*/*"], "application/json", true),
        (["text/event-stream"], "application/json", false),
        (["application/jsonx, text/html"], "application/json", false),
        (["application/*;q=1", "text/html"], "application/json", true),
        (["text/html", "application/json"], "application/json", true),
        ([""], "application/json", false),
        ([",,;"], "application/json", false),
    ])
    func acceptIsReadAsMediaTypesWithoutParameters(accept: [String], type: String, admitted: Bool) {
        #expect(MCPResponses.accepts(Self.request(accept: accept), type) == admitted)
    }
}
