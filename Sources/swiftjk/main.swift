import JKConfig
import JKCore
import Glibc
import JKPosix

// swiftjk — the SwiftJK configuration checker.
//
//   swiftjk check [--server-root DIR] httpd.conf
//   swiftjk check workers.properties
//
// Prints the effective workers (after reference= inheritance and defaults), the mount table of
// every server in precedence order, and every error and warning with file:line — the same
// diagnostics the module reports at `apache2 -t`. Exit status 1 when there are errors.

let usage = """
    usage: swiftjk check [--server-root DIR] <httpd.conf | workers.properties>
           swiftjk --version

    Checks a SwiftJK (mod_jk) configuration: effective workers, mounts per server in precedence
    order, and every error and warning with file:line.
    """

var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "--version" || arguments.first == "version" {
    print("swiftjk (SwiftJK) \(SwiftJKVersion.current)")
    exit(0)
}
guard arguments.first == "check" else {
    print(usage)
    exit(arguments.isEmpty || arguments.first == "--help" || arguments.first == "-h" ? 0 : 2)
}
arguments.removeFirst()
var serverRoot: String?
var file: String?
while let argument = arguments.first {
    arguments.removeFirst()
    switch argument {
    case "--server-root", "-d":
        guard let value = arguments.first else {
            print(usage)
            exit(2)
        }
        arguments.removeFirst()
        serverRoot = value
    case "--help", "-h":
        print(usage)
        exit(0)
    default:
        file = argument
    }
}
guard let file else {
    print(usage)
    exit(2)
}
exit(ConfigCheck.run(file: file, serverRoot: serverRoot))
