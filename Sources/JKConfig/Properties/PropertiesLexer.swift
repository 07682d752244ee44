/// One `name=value` line of a workers.properties (or uriworkermap.properties) file.
public struct PropertyLine: Equatable, Sendable {
    public var key: String
    public var value: String
    public var location: SourceLocation

    public init(key: String, value: String, location: SourceLocation) {
        self.key = key
        self.value = value
        self.location = location
    }
}

/// Splits properties text into lines (`jk_map_read_properties`): `#` starts a comment anywhere,
/// whitespace around name and value is trimmed, blank lines are skipped. It does not open files:
/// the shell passes the text. `$(VAR)` expansion happens in `PropertyVariables`.
public enum PropertiesLexer {
    /// mod_jk's `LENGTH_OF_LINE`.
    public static let maxLineLength = 8192

    public static func lex(_ text: String, file: String) -> (lines: [PropertyLine], diagnostics: [ConfigDiagnostic]) {
        var lines: [PropertyLine] = []
        var diagnostics: [ConfigDiagnostic] = []
        var number = 0
        for rawLine in TextLines.split(text) {
            number += 1
            let location = SourceLocation(file: file, line: number)
            if rawLine.utf8.count > maxLineLength {
                diagnostics.append(.error("line longer than \(maxLineLength) bytes", at: location))
                continue
            }
            var line = rawLine
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let trimmed = trim(line)
            if trimmed.isEmpty { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                diagnostics.append(.error("'\(trimmed)' is not a 'name=value' line", at: location))
                continue
            }
            let key = trim(trimmed[..<equals])
            let value = trim(trimmed[trimmed.index(after: equals)...])
            if key.isEmpty {
                diagnostics.append(.error("line has no property name before '='", at: location))
                continue
            }
            // mod_jk adds a property only when its value is not empty (`jk_map_read_property`):
            // `worker.a.route=` (or `=# note`) leaves the earlier, inherited or default value.
            // Read as "", it would have cleared a route or refused a number.
            if value.isEmpty {
                diagnostics.append(
                    .warning("'\(key)' has no value; the line is ignored, as mod_jk ignores it (the earlier, inherited or default value stays)", at: location))
                continue
            }
            lines.append(PropertyLine(key: String(key), value: String(value), location: location))
        }
        return (lines, diagnostics)
    }

    static func trim(_ text: Substring) -> Substring {
        var result = text
        while let first = result.first, first == " " || first == "\t" || first == "\r" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" || last == "\r" { result = result.dropLast() }
        return result
    }
}

/// `$(name)` substitution on the value side (`jk_map_replace_properties`): first from any
/// property set earlier (a variable such as `my.host`, or a worker property such as
/// `worker.a.host`, as written, before `reference=` inheritance), then from the process
/// environment passed in. An undefined variable is an error (mod_jk leaves the text
/// as is, which then fails later in a less obvious way).
public enum PropertyVariables {
    public static func expand(
        _ lines: [PropertyLine], environment: [String: String], predefined: [String: String] = [:]
    ) -> (lines: [PropertyLine], diagnostics: [ConfigDiagnostic]) {
        var variables = predefined
        var result: [PropertyLine] = []
        var diagnostics: [ConfigDiagnostic] = []
        result.reserveCapacity(lines.count)
        for line in lines {
            var expanded = line
            if line.value.contains("$(") {
                expanded.value = substitute(line.value, variables: variables, environment: environment) { name in
                    diagnostics.append(
                        .error("undefined variable $(\(name)) in '\(line.key)' (not set earlier in the file nor in the environment)", at: line.location))
                }
            }
            variables[expanded.key] = expanded.value
            result.append(expanded)
        }
        return (result, diagnostics)
    }

    static func substitute(
        _ value: String, variables: [String: String], environment: [String: String], undefined: (String) -> Void
    ) -> String {
        var output = ""
        var rest = Substring(value)
        while let start = rest.firstRange(of: "$(") {
            output += rest[..<start.lowerBound]
            let afterOpen = rest[start.upperBound...]
            guard let close = afterOpen.firstIndex(of: ")") else {
                output += rest[start.lowerBound...]
                return output
            }
            let name = String(afterOpen[..<close])
            if let replacement = variables[name] ?? environment[name] {
                output += replacement
            } else {
                undefined(name)
                output += "$(\(name))"
            }
            rest = afterOpen[afterOpen.index(after: close)...]
        }
        output += rest
        return output
    }
}
