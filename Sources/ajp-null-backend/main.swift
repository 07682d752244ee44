// ajp-null-backend: the fastest AJP13 container we can write, for benchmarks that must show the
// web-server module's own cost instead of Tomcat's. Answers every FORWARD_REQUEST with a fixed
// response (reading any request body first), answers CPING with CPONG, keeps connections alive.
//
//   ajp-null-backend [--port 8009] [--size 13]
//
// One blocking thread per connection (httpd pools its connections, so there are few).

import Glibc

var port: UInt16 = 8009
var size = 13
var arguments = Array(CommandLine.arguments.dropFirst())
while !arguments.isEmpty {
    let flag = arguments.removeFirst()
    let value = arguments.isEmpty ? "" : arguments.removeFirst()
    switch flag {
    case "--port": port = UInt16(value) ?? port
    case "--size": size = Int(value) ?? size
    default:
        print("usage: ajp-null-backend [--port N] [--size BYTES]")
        exit(2)
    }
}

NullServer(size: size).run(port: port)
