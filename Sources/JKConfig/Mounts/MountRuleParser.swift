import JKCore

/// Parses one mount rule as written in `JkMount`, `JkUnMount`, a uriworkermap line or
/// `worker.X.mount` (`uri_worker_map_add`, `parse_rule_extensions`).
///
/// ```
/// rule      := [ "-" ] [ "!" ] pattern [ "|" suffix ] "=" worker *( ";" extension "=" value )
/// pattern   := starts with "/", "*" or "?"; "*" any run of characters, "?" one character
/// X|Y       := two rules: X and XY   (e.g. "/app|/*" maps "/app" and "/app/*")
/// ```
public enum MountRuleParser {
    public static func parse(
        pattern rawPattern: String, workerSpec: String, source: MountSource, location: SourceLocation?,
        exclusion forcedExclusion: Bool = false
    ) -> (rules: [MountRule], diagnostics: [ConfigDiagnostic]) {
        var diagnostics: [ConfigDiagnostic] = []
        var pattern = Substring(rawPattern)
        var disabled = false
        var exclusion = forcedExclusion
        if pattern.first == "-" {
            disabled = true
            pattern = pattern.dropFirst()
        }
        if pattern.first == "!" {
            exclusion = true
            pattern = pattern.dropFirst()
        }
        // A URI always starts with '/': a pattern that does not can never match. mod_jk refuses
        // such a JkMount at apache2 -t, and ignores such a line of a mount file or worker.X.mount
        // with an error in its log; SwiftJK does the same, saying why.
        guard pattern.first == "/" else {
            if source == .jkMount {
                diagnostics.append(
                    .error("mount pattern '\(rawPattern)' does not start with '/', so it can never match a URI (mod_jk refuses it too: \"JkMount context should start with /\")", at: location))
            } else {
                diagnostics.append(
                    .warning("mount pattern '\(rawPattern)' does not start with '/', so it can never match a URI; the rule is ignored (as mod_jk does)", at: location))
            }
            return ([], diagnostics)
        }
        if pattern.utf8.count > 4095 {
            diagnostics.append(.error("mount pattern longer than 4095 bytes", at: location))
            return ([], diagnostics)
        }
        let parts = workerSpec.split(separator: ";", omittingEmptySubsequences: false)
        let worker = String(parts.first ?? "").trimmingSpaces
        guard !worker.isEmpty else {
            if workerSpec.trimmingSpaces.isEmpty {
                // `/app/*=` in a mount file: mod_jk skips a property without a value.
                diagnostics.append(
                    .warning("mount rule '\(rawPattern)' names no worker; the line is ignored, as mod_jk ignores it", at: location))
            } else {
                diagnostics.append(.error("mount rule '\(rawPattern)' names no worker", at: location))
            }
            return ([], diagnostics)
        }
        var extensions = MountExtensions()
        // `session_path=;sid`: the value itself starts with the separator, as in mod_jk's
        // documentation, so an empty session_path takes the next part with its ';'.
        var rest = parts.dropFirst()[...]
        while let part = rest.popFirst() {
            guard !part.trimmingSpaces.isEmpty else { continue }
            var text = String(part)
            if text.trimmingSpaces == "session_path=", let next = rest.first, !next.trimmingSpaces.isEmpty {
                text += ";" + String(next).trimmingSpaces
                rest = rest.dropFirst()
            }
            diagnostics += parseExtension(text, into: &extensions, location: location)
        }
        var patterns: [String]
        if let bar = pattern.firstIndex(of: "|") {
            let head = pattern[..<bar]
            let tail = pattern[pattern.index(after: bar)...]
            patterns = [String(head), String(head) + String(tail)]
        } else {
            patterns = [String(pattern)]
        }
        patterns = patterns.filter { !$0.isEmpty }
        let rules = patterns.map {
            MountRule(
                pattern: $0, worker: worker, isExclusion: exclusion, isDisabled: disabled, source: source,
                extensions: extensions, location: location)
        }
        return (rules, diagnostics)
    }

    /// Every extension name `parse_rule_extensions` knows.
    public static let extensionNames = [
        "reply_timeout", "sticky_ignore", "stateless", "active", "disabled", "stopped", "fail_on_status",
        "use_server_errors", "session_cookie", "session_path", "set_session_cookie", "session_cookie_path",
    ]

    public static func parseExtension(_ text: String, into extensions: inout MountExtensions, location: SourceLocation?) -> [ConfigDiagnostic] {
        guard let equals = text.firstIndex(of: "=") else {
            return [.error("mount rule extension '\(text)' is not 'name=value'", at: location)]
        }
        let name = String(text[..<equals]).trimmingSpaces
        let value = String(text[text.index(after: equals)...]).trimmingSpaces
        func integer() -> Int? {
            guard let parsed = ValueParsing.integer(value) else { return nil }
            return parsed
        }
        func bad(_ expected: String) -> [ConfigDiagnostic] {
            [.error("mount rule extension \(name)='\(value)': expected \(expected)", at: location)]
        }
        switch name {
        case "reply_timeout":
            guard let parsed = integer() else { return bad("milliseconds") }
            extensions.replyTimeout = Milliseconds(parsed)
        case "sticky_ignore":
            guard let parsed = ValueParsing.boolean(value) else { return bad("a boolean") }
            extensions.stickyIgnore = parsed
        case "stateless":
            guard let parsed = ValueParsing.boolean(value) else { return bad("a boolean") }
            extensions.stateless = parsed
        case "active": extensions.active = ValueParsing.list(value)
        case "disabled": extensions.disabled = ValueParsing.list(value)
        case "stopped": extensions.stopped = ValueParsing.list(value)
        case "fail_on_status":
            let codes = ValueParsing.list(value).map { Int($0) }
            guard !codes.contains(nil) else { return bad("a list of HTTP status codes") }
            extensions.failOnStatus = codes.compactMap { $0 }
        case "use_server_errors":
            guard let parsed = integer() else { return bad("an HTTP status code") }
            extensions.useServerErrors = parsed
        case "session_cookie": extensions.sessionCookie = value
        case "session_path": extensions.sessionPath = value
        case "set_session_cookie":
            guard let parsed = ValueParsing.boolean(value) else { return bad("a boolean") }
            extensions.setSessionCookie = parsed
        case "session_cookie_path": extensions.sessionCookiePath = value
        default:
            let hint = Suggestions.nearest(to: name, in: extensionNames).map { " — did you mean \($0)?" } ?? ""
            return [.error("unknown mount rule extension '\(name)'\(hint)", at: location)]
        }
        return []
    }
}

extension String {
    var trimmingSpaces: String {
        var view = Substring(self)
        while let first = view.first, first == " " || first == "\t" { view = view.dropFirst() }
        while let last = view.last, last == " " || last == "\t" { view = view.dropLast() }
        return String(view)
    }
}

extension Substring {
    var trimmingSpaces: String { String(self).trimmingSpaces }
}
