import Testing

@testable import SwiftJK

/// `JkLocalPortIndicator`'s value is read as mod_jk reads it: `atoi`, kept to 16 bits.
struct PortIndicatorTests {
    static let cases: [(text: String, port: Int)] = [
        ("8081", 8081), ("8082abc", 8082), ("abc", 0), ("", 0), (" 8083", 8083), ("\t42", 42),
        ("+9", 9), ("-5", 65531), ("70000", 4464), ("65535", 65535), ("65536", 0),
        ("99999999999999999999", 65535), ("-99999999999999999999", 0), ("0x50", 0), ("12 34", 12),
    ]

    @Test(arguments: cases)
    func readsLikeAtoi(_ example: (text: String, port: Int)) {
        #expect(RequestFacts.portAsModJKReadsIt(example.text) == example.port)
    }
}
