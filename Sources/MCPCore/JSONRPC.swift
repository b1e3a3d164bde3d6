/// JSON-RPC 2.0 as MCP uses it: one message per POST, ids that are strings or integers.
public enum JSONRPC {
    public static let parseError: Int = -32700
    public static let invalidRequest: Int = -32600
    public static let methodNotFound: Int = -32601
    public static let invalidParams: Int = -32602
    public static let internalError: Int = -32603

    /// A message classified by shape; anything else is an invalid request.
    public enum Message: Sendable {
        case request(id: JSONValue, method: String, params: JSONValue?)
        case notification(method: String, params: JSONValue?)
        case response(id: JSONValue)
    }

    public struct Failure: Error, Sendable {
        public var code: Int
        public var message: String
        public var data: JSONValue?
        /// The id to answer with: the request's when it had a usable one, else null.
        public var id: JSONValue

        public init(code: Int, message: String, data: JSONValue? = nil, id: JSONValue = .null) {
            self.code = code
            self.message = message
            self.data = data
            self.id = id
        }
    }

    /// Classifies a parsed JSON value; throws `Failure` (-32600) with the request's id where it had one.
    public static func classify(_ value: JSONValue) throws(Failure) -> Message {
        guard case .object(let object) = value else {
            let reason = value.arrayValue != nil ? "batch requests are not supported" : "a JSON-RPC message must be an object"
            throw Failure(code: invalidRequest, message: "Invalid Request: \(reason)")
        }
        let id = object["id"]
        let usableID = id.flatMap { isValidID($0) ? $0 : nil } ?? .null
        guard object["jsonrpc"] == .string("2.0") else {
            throw Failure(code: invalidRequest, message: "Invalid Request: \"jsonrpc\" must be \"2.0\"", id: usableID)
        }
        if let id, !isValidID(id) {
            throw Failure(code: invalidRequest, message: "Invalid Request: \"id\" must be a string or an integer")
        }
        if let method = object["method"] {
            guard case .string(let name) = method, !name.isEmpty else {
                throw Failure(
                    code: invalidRequest, message: "Invalid Request: \"method\" must be a non-empty string", id: usableID)
            }
            let params = object["params"]
            if let params, params.objectValue == nil, params.arrayValue == nil {
                throw Failure(code: invalidRequest, message: "Invalid Request: \"params\" must be an object", id: usableID)
            }
            if let id { return .request(id: id, method: name, params: params) }
            return .notification(method: name, params: params)
        }
        if let id, object["result"] != nil || object["error"] != nil {
            return .response(id: id)
        }
        throw Failure(code: invalidRequest, message: "Invalid Request: missing \"method\"", id: usableID)
    }

    static func isValidID(_ id: JSONValue) -> Bool {
        switch id {
        case .string: return true
        case .int: return true
        default: return false
        }
    }

    public static func result(id: JSONValue, _ result: JSONValue) -> JSONValue {
        ["jsonrpc": "2.0", "id": id, "result": result]
    }

    public static func request(id: JSONValue, method: String, params: JSONValue?) -> JSONValue {
        var message: [String: JSONValue] = ["jsonrpc": "2.0", "id": id, "method": .string(method)]
        if let params { message["params"] = params }
        return .object(message)
    }

    public static func notification(method: String, params: JSONValue?) -> JSONValue {
        var message: [String: JSONValue] = ["jsonrpc": "2.0", "method": .string(method)]
        if let params { message["params"] = params }
        return .object(message)
    }

    public static func error(_ failure: Failure) -> JSONValue {
        var error: [String: JSONValue] = ["code": .int(Int64(failure.code)), "message": .string(failure.message)]
        if let data = failure.data { error["data"] = data }
        return ["jsonrpc": "2.0", "id": failure.id, "error": .object(error)]
    }
}
