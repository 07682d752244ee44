import Glibc
import JKCore
import Testing

/// The version shown by the status worker is the VERSION file's.
struct VersionTests {
    @Test func theVersionFileAndTheConstantAgree() throws {
        let path = String(#filePath).split(separator: "/").dropLast(3).joined(separator: "/")
        let fd = fopen("/" + path + "/VERSION", "r")
        try #require(fd != nil)
        defer { fclose(fd) }
        var buffer = [CChar](repeating: 0, count: 64)
        let line = fgets(&buffer, 64, fd).map { _ in String(cString: buffer) } ?? ""
        #expect(line.trimmingCharacters(in: "\n") == SwiftJKVersion.current)
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var text = Substring(self)
        while text.last == set { text = text.dropLast() }
        return String(text)
    }
}
