/// A configuration file's lines, whatever system wrote it.
///
/// In Swift "\r\n" is one Character, so `split(separator: "\n")` never splits a file saved on
/// Windows: a whole workers.properties would read as one line. Here a line ends at "\n" or
/// "\r\n", and a lone "\r" left at the end of a line is dropped, as mod_jk's readers do.
///
/// A UTF-8 byte order mark at the start (Notepad writes one) is not part of the first line:
/// mod_jk reads it as text, which loses a first `worker.list=` line or, before a comment, is a
/// line with no `=`.
public enum TextLines {
    public static func split(_ text: String) -> [Substring] {
        var text = Substring(text)
        if text.unicodeScalars.first == "\u{FEFF}" { text = Substring(text.unicodeScalars.dropFirst()) }
        return text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map { line in
            line.last == "\r" ? line.dropLast() : line
        }
    }
}

/// Configuration text that was not UTF-8.
///
/// Files and directive arguments reach the parsers as Swift strings, decoded as UTF-8 with every
/// invalid byte replaced by U+FFFD (a file saved as Latin-1 or Windows-1252 with an "é" in it).
/// mod_jk passes such bytes on unchanged: a secret, a route or a mount pattern then means
/// something different in SwiftJK (Tomcat refuses the secret, the pattern never matches). So a
/// replaced byte outside a comment is an error that says how to fix the file, never a value
/// silently changed (README, "Where SwiftJK differs from mod_jk on purpose").
public enum ConfigText {
    public static func hasInvalidUTF8<S: StringProtocol>(_ text: S) -> Bool {
        text.unicodeScalars.contains("\u{FFFD}")
    }

    /// The message, for `what` ("'worker.a.secret'", "the pattern", …).
    public static func notUTF8(_ what: String) -> String {
        "\(what) holds bytes that are not UTF-8 (shown as '\u{FFFD}'; a file saved as Latin-1 or Windows-1252?): SwiftJK reads configuration as UTF-8, and the value would not mean what mod_jk makes of those bytes — save the file as UTF-8"
    }
}
