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
