/// Close matches for a name nothing matched exactly: a typo, a missing dash, a different case.
enum NameMatching {
    static func notFound(_ kind: String, _ reference: String, candidates: [String]) -> String {
        let close = closeMatches(for: reference, in: candidates)
        guard !close.isEmpty else { return "no \(kind) is called \"\(reference)\"" }
        return "no \(kind) is called \"\(reference)\"; close matches: \(close.joined(separator: ", "))"
    }

    /// Up to five candidates, nearest first: those containing the name, then those within a few edits.
    static func closeMatches(for reference: String, in candidates: [String], limit: Int = 5) -> [String] {
        let wanted = normalized(reference)
        guard !wanted.isEmpty else { return [] }
        var scored: [(String, Int)] = []
        for candidate in Set(candidates) {
            let name = normalized(candidate)
            guard !name.isEmpty else { continue }
            if name.contains(wanted) || wanted.contains(name) {
                scored.append((candidate, abs(name.count - wanted.count)))
                continue
            }
            let distance = editDistance(Array(name), Array(wanted))
            if distance <= max(2, wanted.count / 3) { scored.append((candidate, distance + 1)) }
        }
        return scored.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(limit).map(\.0)
    }

    static func normalized(_ text: String) -> String {
        String(text.lowercased().filter { $0.isLetter || $0.isNumber })
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
