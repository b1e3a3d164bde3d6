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

/// What the gateway holds of one backend's lists: the last good list of each kind, when it was fetched, and a
/// generation that changes whenever a list does, so merged views know when to merge again.
struct BackendCatalog: Sendable {
    struct Entry: Sendable {
        /// The last good list; nil until the backend has been listed once.
        var items: [JSONValue]?
        /// The `ttlMs` the backend gave with it, if any.
        var ttlMilliseconds: Int64?
        var fetchedAt: ContinuousClock.Instant?
        var generation: UInt64 = 0
        /// A fetch is running (so a listing that finds the list stale starts no other).
        var refreshing = false
        /// The list changed while the running fetch was under way.
        var fetchAgain = false
        /// When the first fetch began: listings wait for a first list within the listing timeout from then, never later.
        var firstFetchStarted: ContinuousClock.Instant?
    }

    private(set) var entries: [CatalogKind: Entry] = [:]

    subscript(kind: CatalogKind) -> Entry { entries[kind] ?? Entry() }

    /// Stores a fetched list; returns whether it differs from the one before (a first empty list does not: there is
    /// nothing new for clients to see).
    mutating func store(_ items: [JSONValue], ttl: Int64?, kind: CatalogKind, at now: ContinuousClock.Instant) -> Bool {
        var entry = self[kind]
        let changed = (entry.items ?? []) != items
        entry.items = items
        entry.ttlMilliseconds = ttl
        entry.fetchedAt = now
        if changed { entry.generation &+= 1 }
        entries[kind] = entry
        return changed
    }

    /// A fetch failed: the last good list stays, and is not asked for again before the next refresh is due.
    mutating func failed(_ kind: CatalogKind, at now: ContinuousClock.Instant) {
        entries[kind, default: Entry()].fetchedAt = now
    }

    /// A fetch of `kind` began; the first one also starts the time a listing may wait for the backend's first list.
    mutating func began(_ kind: CatalogKind, at now: ContinuousClock.Instant) {
        var entry = self[kind]
        entry.refreshing = true
        if entry.firstFetchStarted == nil { entry.firstFetchStarted = now }
        entries[kind] = entry
    }

    /// The list changed while a fetch ran: another follows it.
    mutating func refreshAgain(_ kind: CatalogKind) {
        entries[kind, default: Entry()].fetchAgain = true
    }

    /// The fetch of `kind` ended; returns whether another is due.
    mutating func ended(_ kind: CatalogKind) -> Bool {
        var entry = self[kind]
        entry.refreshing = false
        defer {
            entry.fetchAgain = false
            entries[kind] = entry
        }
        return entry.fetchAgain
    }
}
