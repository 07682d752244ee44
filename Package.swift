// swift-tools-version: 6.0
import PackageDescription

// The httpd-facing C shim and the module product exist only when the Makefile passes the
// include directories from `apxs`; a plain `swift test` builds and tests everything else on a
// machine without apache2-dev (docs/architecture.md §10.1).
func env(_ key: String) -> String? { Context.environment[key].flatMap { $0.isEmpty ? nil : $0 } }
let httpdInclude = env("HTTPD_INCLUDEDIR")  // $(apxs -q INCLUDEDIR)      -> /usr/include/apache2
let aprInclude = env("APR_INCLUDEDIR")  // $(apxs -q APR_INCLUDEDIR)  -> /usr/include/apr-1.0

var products: [Product] = [
    .executable(name: "swiftjk", targets: ["swiftjk"]),
    .executable(name: "ajp-null-backend", targets: ["ajp-null-backend"]),
    .executable(name: "swiftjk-microbench", targets: ["swiftjk-microbench"]),
]
var targets: [Target] = [
    // Pure targets: standard library only. No clock, no environment, no files, no logging.
    .target(name: "JKCore"),
    .target(name: "AJP13"),
    .target(name: "JKConfig", dependencies: ["JKCore", "JKBalancer"]),
    .target(name: "JKBalancer", dependencies: ["JKCore"]),
    .target(name: "JKPool", dependencies: ["JKCore"]),
    // An lb request's journey over members: failover, rounds, replay rules, the 503 texts.
    .target(name: "JKRouting", dependencies: ["JKBalancer", "JKCore"]),
    // The status worker: commands, access rules, updates and every output format, over values.
    .target(name: "JKStatus", dependencies: ["JKCore", "JKBalancer"]),
    // The I/O edge: the only target that makes syscalls.
    .target(name: "JKPosix", dependencies: ["JKCore"]),
    // The imperative shell for one AJP worker; talks to a ByteStream, not to sockets.
    .target(name: "JKClient", dependencies: ["AJP13", "JKCore", "JKPool", "JKSync"]),
    // One threading primitive: a pthread mutex around a value (no spinning).
    .target(name: "JKSync"),
    // The C/Swift contract, header only.
    .target(name: "CSwiftJKABI"),
    // Composition root: the @c entry points httpd's shim calls.
    .target(
        name: "SwiftJK",
        dependencies: [
            "AJP13", "JKCore", "JKConfig", "JKBalancer", "JKPool", "JKPosix", "JKClient", "JKRouting", "JKSync", "JKStatus",
            "CSwiftJKABI",
        ]),
    // `swiftjk check`: the configuration checker.
    .executableTarget(name: "swiftjk", dependencies: ["JKConfig", "JKPosix", "SwiftJK"]),
    // Benchmarks: the fastest possible AJP container, so the module's own cost shows.
    .executableTarget(name: "ajp-null-backend", dependencies: ["AJP13"]),
    // Micro-benchmarks of the pure targets, with heap allocations counted.
    .target(name: "CMallocCounter"),
    .executableTarget(
        name: "swiftjk-microbench", dependencies: ["AJP13", "JKBalancer", "JKConfig", "JKCore", "CMallocCounter"]),
    // Test-only support: a scripted AJP container on a socket pair, a recording client side.
    .target(name: "JKTestSupport", dependencies: ["AJP13", "JKCore", "JKClient", "JKPosix", "CSwiftJKABI"]),
    .testTarget(name: "AJP13Tests", dependencies: ["AJP13", "JKTestSupport"]),
    .testTarget(name: "JKConfigTests", dependencies: ["JKConfig", "JKCore"], resources: [.copy("Fixtures")]),
    .testTarget(name: "JKBalancerTests", dependencies: ["JKBalancer", "JKCore"]),
    .testTarget(name: "JKPoolTests", dependencies: ["JKPool", "JKCore"]),
    .testTarget(name: "JKRoutingTests", dependencies: ["JKRouting", "JKBalancer", "JKCore"]),
    .testTarget(name: "JKStatusTests", dependencies: ["JKStatus", "JKBalancer", "JKCore"]),
    .testTarget(name: "JKSyncTests", dependencies: ["JKSync"]),
    .testTarget(name: "JKPosixTests", dependencies: ["JKPosix", "JKTestSupport"]),
    .testTarget(name: "JKClientTests", dependencies: ["JKClient", "JKCore", "AJP13", "JKPosix", "JKTestSupport"]),
    .testTarget(name: "SwiftJKTests", dependencies: ["SwiftJK", "CSwiftJKABI", "JKTestSupport", "JKConfig"]),
]
if let httpdInclude, let aprInclude {
    // = apr-1-config --cppflags; SwiftPM drops -D flags coming from pkg-config, so they are spelled out.
    let httpdSettings: [CSetting] = [
        .unsafeFlags(["-I", httpdInclude, "-I", aprInclude]),
        .define("LINUX"), .define("_REENTRANT"), .define("_GNU_SOURCE"),
    ]
    // Only the module is linked with the version script: jk_module is its one exported symbol.
    let exportOnlyJKModule: [LinkerSetting] = [
        .unsafeFlags(["-Xlinker", "--version-script=\(Context.packageDirectory)/exports.map"])
    ]
    targets.append(
        .target(
            name: "CSwiftJKShim", dependencies: ["CSwiftJKABI"], cSettings: httpdSettings,
            linkerSettings: exportOnlyJKModule))
    products.append(.library(name: "mod_swiftjk", type: .dynamic, targets: ["CSwiftJKShim", "SwiftJK"]))
}

let package = Package(
    name: "SwiftJK",
    products: products,
    targets: targets
)
