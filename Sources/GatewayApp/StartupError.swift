/// Why the gateway refused to start, naming the setting to change.
public struct StartupError: Error, CustomStringConvertible {
    public var setting: String
    public var problem: String

    public init(_ setting: String, _ problem: String) {
        self.setting = setting
        self.problem = problem
    }

    public var description: String { "\(setting): \(problem)" }
}
