// Micro-benchmarks of the pure parts: time and heap allocations per operation.
//
//   swiftjk-microbench [--json]
//
// Allocations are counted by interposing malloc (CMallocCounter), so "0 allocations" means no
// heap allocation at all on that path.

import AJP13
import CMallocCounter
import Glibc
import JKBalancer
import JKConfig
import JKCore

struct Measurement {
    var name: String
    var nanosecondsPerOperation: Double
    var allocationsPerOperation: Double
}

func now() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// Runs `body` until ~0.3 s have passed (after a warm-up), returns the per-operation figures.
func measure(_ name: String, _ body: () -> Void) -> Measurement {
    for _ in 0..<1000 { body() }
    var iterations = 1000
    while true {
        let allocationsBefore = malloc_counter_allocations()
        let start = now()
        for _ in 0..<iterations { body() }
        let elapsed = now() - start
        let allocations = malloc_counter_allocations() - allocationsBefore
        if elapsed > 300_000_000 || iterations >= 50_000_000 {
            return Measurement(
                name: name, nanosecondsPerOperation: Double(elapsed) / Double(iterations),
                allocationsPerOperation: Double(allocations) / Double(iterations))
        }
        iterations *= 4
    }
}

@inline(never) func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }

// A typical GET, as curl sends it through httpd.
let request = ForwardRequest(
    method: "GET", uri: "/counter.jsp", remoteAddress: "127.0.0.1", serverName: "127.0.0.1", serverPort: 8090,
    headers: [.init("Host", "127.0.0.1:8090"), .init("User-Agent", "curl/7.88.1"), .init("Accept", "*/*"),
              .init("Cookie", "JSESSIONID=9C9542857DC247136B053DB4B7E51233.was1"), .init("content-length", "0")],
    attributes: .init(secret: "s3cret", route: "was1", requestAttributes: [
        .init("AJP_REMOTE_PORT", "56524"), .init("AJP_LOCAL_ADDR", "127.0.0.1"), .init("JK_LB_ACTIVATION", "ACT"),
    ]))
var writer = AJPPacketWriter(limit: 8192)

// Tomcat's reply to it (headers, one body chunk, end).
func packet(_ payload: [UInt8]) -> [UInt8] { [0x41, 0x42, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload }
func ajpString(_ text: String) -> [UInt8] {
    let bytes = Array(text.utf8)
    return [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes + [0]
}
let reply: [UInt8] =
    packet([0x04, 0x00, 0xC8] + ajpString("200") + [0x00, 0x03] + [0xA0, 0x07]
        + ajpString("JSESSIONID=9C9542857DC247136B053DB4B7E51233.was1; Path=/; HttpOnly") + [0xA0, 0x01]
        + ajpString("text/plain;charset=UTF-8") + [0xA0, 0x03] + ajpString("84"))
    + packet([0x03, 0x00, 0x54] + [UInt8](repeating: 0x61, count: 84) + [0x00]) + packet([0x05, 0x01])

/// Decodes the reply packets as the client does: framing, parse, exchange, header walk.
@inline(never) func decodeReply(_ bytes: UnsafeRawBufferPointer) -> Int {
    var offset = 0
    var exchange = AJPExchange(maxPacketSize: 8192)
    var seen = 0
    while offset + 4 <= bytes.count {
        guard case .success(let length) = ContainerMessage.payloadLength(
            header: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + 4)]), maxPacketSize: 8192)
        else { return -1 }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<(offset + 4 + length)])
        offset += 4 + length
        guard case .success(let message) = ContainerMessage.parse(payload) else { return -1 }
        if case .startResponse(let headers) = exchange.received(message) {
            headers.forEachHeader(in: payload) { _, value in seen &+= value.count }
        }
    }
    return seen
}

let mounts = MountTable(
    ["/*.jsp": "worker1", "/app|/*": "lb", "/app/static/*": "static", "/exact.do": "w2", "/x/?.txt": "w4"]
        .sorted { $0.key < $1.key }
        .flatMap { MountRuleParser.parse(pattern: $0.key, workerSpec: $0.value, source: .jkMount, location: nil).rules })

var settings = Balancer.Settings()
let balancer = Balancer(name: "worker1", members: [.init(name: "was1", lbFactor: 3), .init(name: "was2")], settings: settings)
var runtime = balancer.initialRuntime()
var offset = 0
let sticky = BalancingRequest(sessionIDs: ["9C9542857DC247136B053DB4B7E51233.was1"])
let fresh = BalancingRequest()

let properties = """
    worker.list=worker1
    worker.worker1.type=lb
    worker.worker1.balance_workers=was1,was2
    worker.worker1.sticky_session=1
    worker.was1.type=ajp13
    worker.was1.host=192.168.0.23
    worker.was1.port=8009
    worker.was1.lbfactor=1
    worker.was2.type=ajp13
    worker.was2.host=192.168.0.24
    worker.was2.port=8009
    worker.was2.lbfactor=1
    """

var results: [Measurement] = []
results.append(measure("AJP encode FORWARD_REQUEST (typical GET)") { blackHole(request.encode(into: &writer)) })
results.append(measure("AJP decode reply (headers + chunk + end)") { reply.withUnsafeBytes { blackHole(decodeReply($0)) } })
results.append(measure("mount match /a/b/page.jsp") {
    "/a/b/page.jsp".utf8.withContiguousStorageIfAvailable { blackHole(mounts.match(bytes: $0)) }
})
results.append(measure("balancer choose+commit, sticky") {
    if let choice = balancer.choose(runtime: runtime, request: sticky, local: RequestMemberStates(), offset: &offset) {
        balancer.commit(choice, runtime: &runtime, request: sticky, now: Timestamp(milliseconds: 1))
    }
})
results.append(measure("balancer choose+commit, new session") {
    if let choice = balancer.choose(runtime: runtime, request: fresh, local: RequestMemberStates(), offset: &offset) {
        balancer.commit(choice, runtime: &runtime, request: fresh, now: Timestamp(milliseconds: 1))
    }
})
results.append(measure("workers.properties parse (classic, 12 lines)") {
    blackHole(WorkersConfigurationBuilder.build(text: properties, file: "w", environment: [:]))
})

if CommandLine.arguments.contains("--json") {
    let items = results.map {
        "{\"name\": \"\($0.name)\", \"ns_per_op\": \(($0.nanosecondsPerOperation * 10).rounded() / 10), \"allocations_per_op\": \(($0.allocationsPerOperation * 100).rounded() / 100)}"
    }
    print("[\n  " + items.joined(separator: ",\n  ") + "\n]")
} else {
    print("| Operation | ns/op | allocations/op |")
    print("|---|---:|---:|")
    for result in results {
        print("| \(result.name) | \((result.nanosecondsPerOperation * 10).rounded() / 10) | \((result.allocationsPerOperation * 100).rounded() / 100) |")
    }
}
