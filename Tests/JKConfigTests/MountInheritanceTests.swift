import JKConfig
import Testing

/// Which mounts each virtual host ends up with (mod_jk 1.2.48, checked side by side in
/// IntegrationTests/tests/test_mount_differential.py).
struct MountInheritanceTests {
    static let workers = "worker.list=a,b\nworker.a.port=8009\nworker.b.port=8010\nworker.b.mount=/wm/*\n"

    static func servers(_ conf: String) -> [ServerSettings] {
        let files = ["/srv/httpd.conf": conf, "/srv/workers.properties": workers]
        let read = HttpdConfigReader.read(path: "/srv/httpd.conf", serverRoot: "/srv", readFile: { files[$0] }, glob: { _ in [] })
        let (configuration, diagnostics) = ConfigurationLoader.load(
            servers: read.servers, serverRoot: "/srv", environment: [:],
            readFile: { files[$0].map { .success($0) } ?? .failure(.init("missing")) })
        #expect(!diagnostics.hasErrors, "\(diagnostics)")
        return configuration?.servers ?? []
    }

    @Test func workerMountsBelongToTheMainServerOnly() {
        let servers = Self.servers("""
            JkWorkersFile workers.properties
            JkMount /app/* a
            <VirtualHost *:80>
            ServerName copy.test
            JkMountCopy On
            JkMount /own/* b
            JkMount /own/* a
            JkMount /app/* b
            </VirtualHost>
            """)
        #expect(servers.count == 2)
        // The vhost's own /app/* beats the copied one; its second /own/* replaces its first.
        #expect(servers.last?.mounts.match("/own/x")?.worker == "a")
        #expect(servers.first?.mounts.match("/wm/x")?.worker == "b")
        #expect(servers.last?.mounts.match("/wm/x") == nil)
        #expect(servers.last?.mounts.match("/app/x")?.worker == "b")
        #expect(servers.first?.mounts.match("/app/x")?.worker == "a")
    }

    @Test(arguments: [("Off", nil), ("All", "a")] as [(String, String?)])
    func aVirtualHostWithoutJkDirectives(mainCopy: String, expected: String?) {
        let servers = Self.servers("""
            JkWorkersFile workers.properties
            JkMountCopy \(mainCopy)
            JkMount /app/* a
            <VirtualHost *:80>
            ServerName bare.test
            </VirtualHost>
            """)
        #expect(servers.last?.mounts.match("/app/x")?.worker == expected)
    }

    @Test func aCopiedMountIsReportedOnceAtItsLine() {
        let files = [
            "/srv/httpd.conf": """
                JkWorkersFile workers.properties
                JkMountFile uriworkermap.properties
                JkMount /app/* a;stopped=zz
                <VirtualHost *:80>
                ServerName one.test
                JkMountCopy On
                </VirtualHost>
                <VirtualHost *:80>
                ServerName two.test
                JkMountCopy On
                </VirtualHost>
                """,
            "/srv/workers.properties": Self.workers,
            "/srv/uriworkermap.properties": "/files/*=nosuchworker\n/old/*=a;bogus=1\n",
        ]
        let read = HttpdConfigReader.read(path: "/srv/httpd.conf", serverRoot: "/srv", readFile: { files[$0] }, glob: { _ in [] })
        let (_, diagnostics) = ConfigurationLoader.load(
            servers: read.servers, serverRoot: "/srv", environment: [:],
            readFile: { files[$0].map { .success($0) } ?? .failure(.init("missing")) })
        let lines = diagnostics.map { "\($0.location?.file ?? ""):\($0.location?.line ?? 0)" }
        #expect(!lines.isEmpty)
        #expect(Set(lines).count == lines.count, "\(diagnostics.map(\.description))")
    }
}
