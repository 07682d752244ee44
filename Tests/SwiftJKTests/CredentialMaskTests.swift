import AJP13
import JKBalancer
import Testing

@testable import SwiftJK

/// Trace dumps never show credentials: header values of Authorization, Cookie, Set-Cookie.
struct CredentialMaskTests {
    static func contains(_ bytes: [UInt8], _ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard needle.count <= bytes.count else { return false }
        return (0...(bytes.count - needle.count)).contains { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    @Test func requestCredentialsAreMaskedAndTheRestKept() {
        let facts = RequestFacts(method: "GET", uri: "/a.jsp", headers: [
            .init("Host", "h"), .init("Authorization", "Basic dXNlcjpwYXNz"), .init("Cookie", "JSESSIONID=ABC123.was1"),
            .init("X-Auth-Token", "keep-me"), .init("Proxy-Authorization", "Bearer zzz"),
        ])
        var writer = AJPPacketWriter(limit: 8192)
        _ = RequestEncoder(facts: facts, options: .defaults).encode(into: &writer)
        var bytes = writer.bytes
        CredentialMask.apply(to: &bytes, outgoing: true)
        #expect(!Self.contains(bytes, "dXNlcjpwYXNz"))
        #expect(!Self.contains(bytes, "ABC123"))
        #expect(!Self.contains(bytes, "Bearer zzz"))
        #expect(Self.contains(bytes, "keep-me"))
        #expect(Self.contains(bytes, "/a.jsp"))
        #expect(bytes.count == writer.bytes.count)
    }

    @Test func sessionIDsInTheURIAndQueryStringAreMasked() {
        let facts = RequestFacts(
            method: "GET", uri: "/app/cart.jsp;jsessionid=PATH0123.was1", queryString: "a=1&JSESSIONID=QUERY456.was2&b=2",
            headers: [.init("Host", "h")])
        var writer = AJPPacketWriter(limit: 8192)
        _ = RequestEncoder(facts: facts, options: .defaults).encode(into: &writer)
        var bytes = writer.bytes
        CredentialMask.apply(to: &bytes, outgoing: true)
        #expect(!Self.contains(bytes, "PATH0123"))
        #expect(!Self.contains(bytes, "QUERY456"))
        #expect(Self.contains(bytes, "/app/cart.jsp;jsessionid=*"))
        #expect(Self.contains(bytes, "a=1&JSESSIONID=***"))
        #expect(Self.contains(bytes, "&b=2"))
        #expect(bytes.count == writer.bytes.count)
    }

    @Test(arguments: [
        ("/a.jsp;jsessionid=ABC.was1", "/a.jsp;jsessionid=********"),
        ("/a.jsp;JSESSIONID=ABC;x=1?jsessionid=Q&k=v", "/a.jsp;JSESSIONID=***;x=1?jsessionid=*&k=v"),
        ("/a.jsp?myjsessionid=keep", "/a.jsp?myjsessionid=keep"),
        ("/plain.jsp", "/plain.jsp"),
    ])
    func maskingKeepsTheShape(uri: String, masked: String) {
        #expect(SessionIdentifiers.masking(uri) == masked)
    }

    @Test func theCodesAreTheCodecs() {
        #expect(CredentialMask.responseCodes == [0xA007, 0xA008])   // Set-Cookie, Set-Cookie2 (SC_RES_*)
        #expect(CredentialMask.requestCodes == [0xA005, 0xA009, 0xA00A])   // Authorization, Cookie, Cookie2
    }

    @Test(arguments: [UInt8(0x07), 0x08])
    func setCookieInARepliesHeadersIsMasked(code: UInt8) {
        // 'AB', length, SEND_HEADERS, 200, "OK", 2 headers: Set-Cookie (0xA007) or Set-Cookie2 (0xA008), X-Name: v
        var payload: [UInt8] = [4, 0, 200, 0, 2] + Array("OK".utf8) + [0, 0, 2, 0xA0, code, 0, 12] + Array("JSESSIONID=Q".utf8) + [0]
        payload += [0, 6] + Array("X-Name".utf8) + [0, 0, 1, UInt8(ascii: "v"), 0]
        var bytes: [UInt8] = [0x41, 0x42, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
        CredentialMask.apply(to: &bytes, outgoing: false)
        #expect(!Self.contains(bytes, "JSESSIONID=Q"))
        #expect(Self.contains(bytes, "X-Name"))
    }

    @Test(arguments: [[UInt8](), [0x12, 0x34, 0, 3, 2, 2], [0x12, 0x34, 0, 9, 2, 2, 0xFF, 0xFF, 0, 200], [0x41, 0x42, 0, 5, 4, 0, 200, 0x7F, 0x7F]])
    func malformedPacketsAreLeftAlone(packet: [UInt8]) {
        var bytes = packet
        CredentialMask.apply(to: &bytes, outgoing: packet.first == 0x12)
        #expect(bytes == packet)
    }
}
