import Testing

@testable import AJP13

/// The writer's field encodings that the request encoder relies on.
struct PacketWriterTests {
    @Test(arguments: [0, 7, 8009, 65535, -1, Int.max, Int.min])
    func decimalStringsMatchTheirText(value: Int) {
        var direct = AJPPacketWriter(limit: 64)
        direct.begin()
        direct.putDecimalString(value)
        let directFits = direct.finish()
        #expect(directFits)
        var text = AJPPacketWriter(limit: 64)
        text.begin()
        text.putString(String(value))
        let textFits = text.finish()
        #expect(textFits)
        #expect(direct.bytes == text.bytes)
    }

    @Test func aFieldThatDoesNotFitIsCountedNotWritten() {
        var writer = AJPPacketWriter(limit: 10)
        writer.begin()
        writer.part = .uri
        writer.putString(static: "/far/too/long.jsp")
        let fits = writer.finish()
        #expect(!fits)
        #expect(writer.overflow == .uri)
        #expect(writer.needed == 4 + 3 + 17)
        #expect(writer.count == 4)
    }

    @Test func theBufferIsReusedPacketAfterPacket() {
        var writer = AJPPacketWriter(limit: 32)
        writer.cping()
        #expect(writer.bytes == [0x12, 0x34, 0x00, 0x01, 0x0A])
        writer.begin()
        writer.putString(static: "ab")
        writer.finish()
        #expect(writer.bytes == [0x12, 0x34, 0x00, 0x05, 0x00, 0x02, 0x61, 0x62, 0x00])
    }
}
