import Foundation

/// Durations the operator types: a whole number and a unit, `45s`, `30m`, `12h`, `7d`, `2w`.
enum DurationText {
    static func seconds(_ text: String) -> TimeInterval? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let unit = trimmed.last, let amount = Int(trimmed.dropLast()), amount > 0, amount <= 100_000 else { return nil }
        let scale: Double? =
            switch unit {
            case "s": 1
            case "m": 60
            case "h": 3600
            case "d": 86400
            case "w": 604_800
            default: nil
            }
        return scale.map { Double(amount) * $0 }
    }
}
