import Foundation
import MCPCore

/// How the operator commands print: aligned columns for people, JSON (one value, or one line per row) for scripts.
enum OutputFormat {
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    static func time(_ date: Date?) -> String {
        guard let date else { return "-" }
        return Timestamp.string(date)
    }

    static func json(_ date: Date?) -> JSONValue {
        date.map { .string(time($0)) } ?? .null
    }

    static func printJSON(_ value: JSONValue, pretty: Bool = true) {
        print(pretty ? value.prettyPrinted : String(decoding: value.serialized(), as: UTF8.self))
    }
}
