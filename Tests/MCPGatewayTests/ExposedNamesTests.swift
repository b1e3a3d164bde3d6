import Testing

@testable import MCPGateway

@Suite struct ExposedNamesTests {
    func origin(_ backend: String, _ name: String, prefix: String? = nil) -> ExposedNames.Origin {
        .init(backend: backend, prefix: prefix ?? backend, name: name)
    }

    @Test func shortNamesArePrefixed() {
        let names = ExposedNames.assign([origin("docs", "search")])
        #expect(names[origin("docs", "search")] == "docs__search")
    }

    @Test func invalidCharactersBecomeUnderscores() {
        let names = ExposedNames.assign([origin("docs", "files.read/all é")])
        #expect(names[origin("docs", "files.read/all é")] == "docs__files_read_all__")
    }

    @Test func longNamesAreShortenedToSixtyFourWithAStableHash() {
        let long = String(repeating: "x", count: 70)
        let first = ExposedNames.assign([origin("docs", long)])[origin("docs", long)]!
        let again = ExposedNames.assign([origin("other", "a"), origin("docs", long)])[origin("docs", long)]!
        #expect(first.count == 64)
        #expect(first == again)
        #expect(first.range(of: #"^[a-zA-Z0-9_-]{1,64}$"#, options: .regularExpression) != nil)
    }

    @Test func collisionsKeepEveryNameAndTheFirstKeepsTheCleanOne() {
        let a = origin("alpha", "search")
        let b = origin("twin", "search", prefix: "alpha")
        let c = origin("alpha", "search.x")
        let d = origin("alpha", "search_x")
        let names = ExposedNames.assign([a, b, c, d])
        #expect(names[a] == "alpha__search")
        #expect(names[b] != "alpha__search" && names[b]!.hasPrefix("alpha__search_"))
        #expect(names[c] == "alpha__search_x")
        #expect(names[d] != names[c])
        #expect(Set(names.values).count == 4)
    }

    @Test func resourcePrefixesAreValidSchemes() {
        #expect(ExposedNames.uriPrefix(for: "docs") == "docs")
        #expect(ExposedNames.uriPrefix(for: "1password") == "b1password")
        #expect(ExposedNames.uriPrefix(for: "My_Files") == "my-files")
        #expect(BackendRegistry.uriPrefixes(for: [("a", "x"), ("b", "x")]) == ["a": "x", "b": "x-2"])
    }
}

@Suite struct GlobPatternTests {
    @Test(arguments: [
        ("*", "anything", true), ("delete_*", "delete_channel", true), ("delete_*", "list_channels", false),
        ("get_?", "get_a", true), ("get_?", "get_ab", false), ("*_message*", "send_message_now", true), ("", "", true),
        ("a*b*c", "abxbc", true), ("a*b*c", "abxbd", false),
    ])
    func matches(pattern: String, name: String, expected: Bool) {
        #expect(GlobPattern(pattern).matches(name) == expected)
    }

    @Test func allowThenDeny() {
        let filter = ToolFilter(allow: ["read_*", "list_*"], deny: ["read_secret*"])
        #expect(filter.admits("read_messages"))
        #expect(!filter.admits("read_secrets"))
        #expect(!filter.admits("delete_messages"))
        #expect(ToolFilter(allow: [], deny: ["ban_*"]).admits("kick"))
    }
}
