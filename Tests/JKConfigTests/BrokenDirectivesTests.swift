import JKConfig
import Testing

/// Broken httpd configurations (Jk* directives and mount files): each yields its diagnostic, with
/// its severity, at the right file and line — the same pipeline the module runs at check_config
/// and `swiftjk check` runs, so `apache2 -t` prints exactly these.
struct BrokenDirectivesTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        /// httpd.conf text; `workers.properties` and `uri.properties` are the other files.
        var conf: String
        var file = "httpd.conf"
        var line: Int
        var message: String
        var isError = true
        var mountFile = ""
        var testDescription: String { name }
    }

    static let workers = "worker.list=w1,lb\nworker.w1.host=127.0.0.1\nworker.w1.port=8009\nworker.w1.secret=s\n"
        + "worker.lb.type=lb\nworker.lb.balance_workers=w1\n"
    static let head = "JkWorkersFile workers.properties\n"

    static let cases: [Case] = [
        Case(name: "unknown log level", conf: head + "JkLogLevel verbose\n", line: 2, message: "unknown log level 'verbose': logging at info", isError: false),
        Case(name: "Puppet's log level", conf: head + "JKLOGLEVEL warning\n", line: 2, message: "write warn for warnings only", isError: false),
        Case(name: "log level arguments", conf: head + "JkLogLevel debug info\n", line: 2, message: "JkLogLevel: takes 1 argument, got 2"),
        Case(name: "workers file twice", conf: head + "JkWorkersFile other.properties\n", line: 2, message: "only allowed once"),
        Case(name: "workers file missing", conf: "JkWorkersFile nowhere.properties\n", line: 1, message: "JkWorkersFile:"),
        Case(name: "workers file in a vhost", conf: head + "<VirtualHost *:80>\nJkWorkersFile w.properties\n</VirtualHost>\n",
             line: 3, message: "only allowed in the main server"),
        Case(name: "shm file in a vhost", conf: head + "<VirtualHost *:80>\nJkShmFile /tmp/x.shm\n</VirtualHost>\n",
             line: 3, message: "only allowed in the main server"),
        Case(name: "shm size not a number", conf: head + "JkShmSize lots\n", line: 2, message: "'lots' is not a size in KB; the directive is obsolete and ignored", isError: false),
        Case(name: "watchdog interval", conf: head + "JkWatchdogInterval -5\n", line: 2, message: "'-5' is not a number of seconds; the default is used", isError: false),
        Case(name: "mount file reload", conf: head + "JkMountFileReload 1m\n", line: 2, message: "'1m' is not a number of seconds; the default (60) is used", isError: false),
        Case(name: "mount copy word", conf: head + "JkMountCopy Yes\n", line: 2, message: "'Yes' is not On, Off or All"),
        Case(name: "mount copy All in a vhost", conf: head + "<VirtualHost *:80>\nJkMountCopy All\n</VirtualHost>\n",
             line: 3, message: "'All' is only allowed in the main server"),
        Case(name: "strip session flag", conf: head + "JkStripSession maybe\n", line: 2, message: "'maybe' is not On or Off"),
        Case(name: "extract ssl flag", conf: head + "JkExtractSSL 1\n", line: 2, message: "'1' is not On or Off"),
        Case(name: "unknown JkOptions", conf: head + "JkOptions +ForwardKeySise\n", line: 2, message: "did you mean ForwardKeySize?"),
        Case(name: "JkOptions without options", conf: head + "JkOptions\n", line: 2, message: "needs at least one option"),
        Case(name: "JkOptions exclusive", conf: head + "JkOptions +ForwardLocalAddress +ForwardPhysicalAddress\n", line: 2,
             message: "ForwardLocalAddress and ForwardPhysicalAddress exclude each other"),
        Case(name: "deprecated CollapseSlashes", conf: head + "JkOptions +CollapseSlashesAll\n", line: 2,
             message: "'CollapseSlashesAll' is deprecated and ignored", isError: false),
        Case(name: "two ForwardURI options", conf: head + "JkOptions +ForwardURICompat\nJkOptions +ForwardURIProxy\n", line: 3,
             message: "'ForwardURIProxy' replaces 'ForwardURICompat'", isError: false),
        Case(name: "mount with a path inside Location", conf: head + "<Location /c>\nJkMount /zzz w1\n</Location>\n", line: 3,
             message: "inside <Location /c> it takes only the worker"),
        Case(name: "request log format field", conf: head + "JkRequestLogFormat \"%w %Z\"\n", line: 2, message: "unknown field '%Z'",
             isError: false),
        Case(name: "stamp format both Q and q", conf: head + "JkLogStampFormat \"%H:%M:%S.%Q.%q\"\n", line: 2,
             message: "only the first %Q (milliseconds) or %q (microseconds) is replaced", isError: false),
        Case(name: "mount with one argument", conf: head + "JkMount /app/*\n", line: 2, message: "needs a path and a worker outside <Location>"),
        Case(name: "mount pattern without slash", conf: head + "JkMount app/* w1\n", line: 2, message: "does not start with '/', so it can never match"),
        Case(name: "extension mount", conf: head + "JkMount *.jsp w1\n", line: 2, message: "'*.jsp' does not start with '/'"),
        Case(name: "unknown mount extension", conf: head + "JkMount /app/* w1;reply_timeot=5\n", line: 2,
             message: "unknown mount rule extension 'reply_timeot'"),
        Case(name: "bad mount extension value", conf: head + "JkMount /app/* w1;reply_timeout=soon\n", line: 2,
             message: "mount rule extension reply_timeout='soon'"),
        Case(name: "log level inside Location", conf: head + "<Location /app>\nJkLogLevel debug\n</Location>\n", line: 3,
             message: "not allowed inside <Location> or <Directory>"),
        Case(name: "mount to an undefined worker", conf: head + "JkMount /app/* wokrer1\n", line: 2,
             message: "names worker 'wokrer1', which is not defined", isError: false),
        Case(name: "unmount of an undefined worker", conf: head + "JkMount /x/* w1\nJkUnMount /x/s/* aa\n", line: 3,
             message: "names worker 'aa', which is not defined: it excludes nothing", isError: false),
        Case(name: "mount activation on an ajp13 worker", conf: head + "JkMount /x/* w1;stopped=w1\n", line: 2,
             message: "sets stopped= for worker 'w1', which is not a load balancer (ajp13); ignored", isError: false),
        Case(name: "mount activation names no member", conf: head + "JkMount /y/* lb;stopped=w2\n", line: 2,
             message: "'w2' in stopped= is not a member of load balancer 'lb'", isError: false),
        Case(name: "Latin-1 byte in a JkMount", conf: head + "JkMount /caf\u{FFFD}/* w1\n", line: 2,
             message: "JkMount: an argument holds bytes that are not UTF-8"),
        Case(name: "Latin-1 byte in a mount file", conf: head + "JkMountFile uri.properties\n", file: "/srv/uri.properties",
             line: 2, message: "the line holds bytes that are not UTF-8", mountFile: "# caf\u{FFFD} is fine here\n/caf\u{FFFD}/*=w1\n"),
        Case(name: "mount file missing", conf: head + "JkMountFile missing.properties\n", line: 2, message: "JkMountFile:"),
        Case(name: "mount file line without worker", conf: head + "JkMountFile uri.properties\n", file: "/srv/uri.properties",
             line: 3, message: "is not a 'pattern=worker' line", mountFile: "/a/*=w1\n# comment\n/b/*\n"),
        Case(name: "mount file bad pattern", conf: head + "JkMountFile uri.properties\n", file: "/srv/uri.properties",
             line: 2, message: "the rule is ignored (as mod_jk does)", isError: false, mountFile: "/a/*=w1\nb/*=w1\n"),
    ]

    static func load(_ broken: Case) -> [ConfigDiagnostic] {
        let files = [
            "/srv/httpd.conf": broken.conf, "/srv/workers.properties": workers, "/srv/uri.properties": broken.mountFile,
        ]
        let read = HttpdConfigReader.read(path: "/srv/httpd.conf", serverRoot: "/srv", readFile: { files[$0] }, glob: { _ in [] })
        let (_, diagnostics) = ConfigurationLoader.load(
            servers: read.servers, serverRoot: "/srv", environment: [:],
            readFile: { path in
                guard let text = files[path], !(path.hasSuffix("uri.properties") && broken.mountFile.isEmpty) else {
                    return .failure(.init("cannot open '\(path)': No such file or directory"))
                }
                return .success(text)
            })
        return read.diagnostics + diagnostics
    }

    @Test(arguments: cases)
    func diagnosticAtTheRightLine(_ broken: Case) {
        let diagnostics = Self.load(broken)
        let match = diagnostics.first { $0.message.contains(broken.message) }
        #expect(match != nil, "\(broken.name): \(diagnostics.map(\.description))")
        #expect(match?.location?.line == broken.line, "\(broken.name): \(diagnostics.map(\.description))")
        let file = broken.file.hasPrefix("/") ? broken.file : "/srv/" + broken.file
        #expect(match?.location?.file == file, "\(broken.name): \(diagnostics.map(\.description))")
        #expect(match.map { $0.severity == .error } == broken.isError, "\(broken.name): severity of \(String(describing: match))")
    }

    @Test func theCorpusIsLargeEnough() {
        #expect(Self.cases.count + BrokenFilesTests.cases.count >= 40)
    }
}
