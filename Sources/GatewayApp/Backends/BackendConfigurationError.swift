/// A configuration mistake, located by file (or variable), backend and field, so the fix is obvious.
public struct BackendConfigurationError: Error, Equatable, CustomStringConvertible {
    public var source: String
    public var backend: String?
    public var field: String?
    public var problem: String

    init(source: String, backend: String? = nil, field: String? = nil, _ problem: String) {
        self.source = source
        self.backend = backend
        self.field = field
        self.problem = problem
    }

    public var description: String {
        var location: [String] = []
        if let backend { location.append("backend \"\(backend)\"") }
        if let field { location.append("field \"\(field)\"") }
        return location.isEmpty ? problem : "\(location.joined(separator: ", ")): \(problem)"
    }

    /// As a startup refusal: the setting to change is the file (or the variable) itself.
    var settingsError: SettingsError { SettingsError(source, description) }
}
