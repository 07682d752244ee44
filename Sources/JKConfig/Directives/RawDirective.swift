/// A `Jk*` directive exactly as httpd tokenised it. The C shim records these and hands them
/// over; all interpretation happens in Swift.
public struct RawDirective: Sendable, Equatable {
    public var name: String
    public var arguments: [String]
    public var location: SourceLocation
    /// The enclosing `<Location>` (or `<Directory>`) path, nil at server level.
    public var section: String?

    public init(name: String, arguments: [String], location: SourceLocation, section: String? = nil) {
        self.name = name
        self.arguments = arguments
        self.location = location
        self.section = section
    }
}

/// One httpd server: the main server first, then each `<VirtualHost>`.
public struct RawServer: Sendable, Equatable {
    public var name: String
    public var port: Int
    public var isVirtual: Bool
    public var location: SourceLocation?
    public var directives: [RawDirective]

    public init(name: String, port: Int = 0, isVirtual: Bool, location: SourceLocation? = nil, directives: [RawDirective]) {
        self.name = name
        self.port = port
        self.isVirtual = isVirtual
        self.location = location
        self.directives = directives
    }

    /// "127.0.0.1:8090" or "main server".
    public var label: String {
        guard isVirtual else { return "main server" }
        let where_ = location.map { " (\($0))" } ?? ""
        return "virtual host \(name)\(port > 0 ? ":\(port)" : "")\(where_)"
    }
}
