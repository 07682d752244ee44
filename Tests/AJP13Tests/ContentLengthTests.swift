import AJP13
import Testing

@Suite struct ContentLengthTests {
    @Test(arguments: [
        ("13", Int64?(13)),
        ("65536", 65536),
        ("999999999999999999", 999_999_999_999_999_999),
        ("0", nil),
        ("", nil),
        ("1000000000000000000", nil),  // 19 digits
        ("+5", nil),
        ("-5", nil),
        (" 5", nil),
        ("5 ", nil),
        ("5,5", nil),
        ("0x10", nil),
    ])
    func parse(text: String, expected: Int64?) {
        let value = Array(text.utf8).withUnsafeBytes { ContentLength.parse($0) }
        #expect(value == expected)
    }

    @Test func zeroWhereAnEmptyBodyIsALimit() {
        // The response writer enforces the length, so "0" means "no body", not "unknown".
        #expect(Array("0".utf8).withUnsafeBytes { ContentLength.parse($0, allowingZero: true) } == 0)
        #expect(Array("-0".utf8).withUnsafeBytes { ContentLength.parse($0, allowingZero: true) } == nil)
    }
}
