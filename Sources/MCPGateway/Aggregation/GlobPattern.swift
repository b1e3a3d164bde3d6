/// Shell-style glob over names: `*` any run of characters, `?` one character, everything else literal.
public struct GlobPattern: Sendable, Equatable {
    let pattern: [Character]

    public init(_ pattern: String) {
        self.pattern = Array(pattern)
    }

    public func matches(_ name: String) -> Bool {
        let text = Array(name)
        var (p, t) = (0, 0)
        var star: Int?
        var resume = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == "?" || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == "*" {
                star = p
                resume = t
                p += 1
            } else if let starAt = star {
                p = starAt + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}

/// Which of a backend's tools are exposed: those matching an allow pattern (or all when there is none),
/// minus those matching a deny pattern.
public struct ToolFilter: Sendable, Equatable {
    let allowed: [GlobPattern]
    let denied: [GlobPattern]

    public init(allow: [String], deny: [String]) {
        self.allowed = allow.map(GlobPattern.init)
        self.denied = deny.map(GlobPattern.init)
    }

    public func admits(_ name: String) -> Bool {
        (allowed.isEmpty || allowed.contains { $0.matches(name) }) && !denied.contains { $0.matches(name) }
    }
}
