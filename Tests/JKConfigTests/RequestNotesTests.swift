@testable import JKConfig
import Testing

/// Which JK_* note groups are set: a group is on when any directive names one of its notes, in
/// any case (httpd's notes table ignores case), and off otherwise.
struct RequestNotesTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var lines: [(String, String)]
        var expected: RequestNotes
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "no configuration", lines: [], expected: []),
        Case(name: "combined log format", lines: [
            ("LogFormat", #""%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" combined"#),
            ("CustomLog", "${APACHE_LOG_DIR}/access.log combined"),
            ("JkLogFile", "/var/log/apache2/mod_jk.log"), ("JkShmFile", "/var/log/apache2/jk-runtime-status"),
        ], expected: []),
        Case(name: "lb note in a LogFormat", lines: [("LogFormat", #""%h %{JK_LB_LAST_NAME}n" jk"#)], expected: .lb),
        Case(name: "route note inline in a CustomLog", lines: [("CustomLog", #"logs/a.log "%h %{JK_WORKER_ROUTE}n""#)], expected: .worker),
        Case(name: "duration in lower case", lines: [("LogFormat", #""%{jk_request_duration}n" d"#)], expected: .worker),
        Case(name: "type in ErrorLogFormat", lines: [("ErrorLogFormat", #""[%t] %{Jk_Worker_Type}n %M""#)], expected: .worker),
        Case(name: "worker name alone turns nothing on", lines: [("LogFormat", #""%{JK_WORKER_NAME}n" w"#)], expected: []),
        Case(name: "both", lines: [
            ("LogFormat", #""%{JK_WORKER_ROUTE}n" a"#), ("SetEnv", "READ_BY_LUA JK_LB_FIRST_BUSY"),
        ], expected: .all),
        Case(name: "jk_ in a path is not a note", lines: [("JkShmFile", "logs/mod_jk_shm"), ("Alias", "/jk_lb /srv")], expected: []),
    ]

    @Test(arguments: cases)
    func groups(_ c: Case) {
        let lines = c.lines.enumerated().map { index, line in
            RequestNotes.ConfigurationLine(directive: line.0, arguments: line.1, location: SourceLocation(file: "httpd.conf", line: index + 1))
        }
        #expect(RequestNotes.read(by: lines).notes == c.expected)
    }

    @Test func firstMentionNamesTheLine() {
        let lines = [
            RequestNotes.ConfigurationLine(directive: "ServerName", arguments: "localhost"),
            RequestNotes.ConfigurationLine(
                directive: "LogFormat", arguments: "\"%{JK_LB_LAST_STATE}n\" jk", location: SourceLocation(file: "/etc/apache2/apache2.conf", line: 212)),
            RequestNotes.ConfigurationLine(directive: "LogFormat", arguments: "\"%{JK_LB_FIRST_NAME}n\" other"),
        ]
        let (notes, mentions) = RequestNotes.read(by: lines)
        #expect(notes == .lb)
        #expect(mentions.count == 1)
        #expect(mentions.first?.1.location?.description == "/etc/apache2/apache2.conf:212")
    }
}
