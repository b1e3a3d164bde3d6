import MCPCore

/// The four lists a backend offers, and the methods that fetch them.
public enum CatalogKind: String, Sendable, CaseIterable {
    case tools, prompts, resources, resourceTemplates

    public var listMethod: String {
        switch self {
        case .tools: "tools/list"
        case .prompts: "prompts/list"
        case .resources: "resources/list"
        case .resourceTemplates: "resources/templates/list"
        }
    }

    /// The key of the list in a list result.
    public var resultKey: String { rawValue }

    /// The server capability that says whether the backend has such a list at all.
    var capability: String {
        switch self {
        case .tools: "tools"
        case .prompts: "prompts"
        case .resources, .resourceTemplates: "resources"
        }
    }

    /// Which list a `notifications/<x>/list_changed` refers to.
    static func changed(by method: String) -> [CatalogKind] {
        switch method {
        case "notifications/tools/list_changed": [.tools]
        case "notifications/prompts/list_changed": [.prompts]
        case "notifications/resources/list_changed": [.resources, .resourceTemplates]
        default: []
        }
    }
}

/// The last good lists of one backend.
struct BackendCatalog: Sendable {
    var lists: [CatalogKind: [JSONValue]] = [:]
    /// The smallest `ttlMs` the backend gave, if it gave any.
    var ttlMilliseconds: [CatalogKind: Int64] = [:]
}
