import AJP13

/// The client's request body as the AJP exchange consumes it, with the first packet kept for
/// replay.
///
/// The first body packet travels right behind FORWARD_REQUEST when the length is known
/// (Tomcat expects it without asking). It is read from the client once and kept, so a request can
/// be replayed on another member as long as nothing beyond it has been consumed — the condition
/// under which mod_jk replays too (its `reco_buf`).
public struct RequestBody {
    /// nil when the length is unknown (chunked): nothing is sent until the container asks.
    public let contentLength: Int64?
    private var first: [UInt8] = []
    private var firstLoaded = false
    /// Bytes handed out past the first packet: from then on the body cannot be replayed.
    public private(set) var consumedBeyondFirst = false
    /// Bytes read from the client so far.
    public private(set) var bytesRead: Int64 = 0
    private var clientEnded: Bool
    private let maxChunk: Int
    /// Position within `first` for the current attempt.
    private var cursor = 0
    private var scratch: [UInt8] = []

    /// `maxChunk`: the body data one packet holds (max_packet_size − 6).
    public init(contentLength: Int64?, maxChunk: Int) {
        self.contentLength = contentLength
        self.maxChunk = maxChunk
        self.clientEnded = contentLength == 0
    }

    /// True when there is a body at all (or may be, for unknown lengths).
    public var hasBody: Bool { contentLength != 0 }

    /// Starts an attempt: the buffered first packet is served again.
    public mutating func rewind() { cursor = 0 }

    /// True while the body can be served again from the start.
    public var isReplayable: Bool { !consumedBeyondFirst }

    /// Writes the packet that goes right after FORWARD_REQUEST into `writer`: only for a known,
    /// non-zero length. Returns false when there is none.
    public mutating func writeInitialPacket<C: ClientSide>(into writer: inout AJPPacketWriter, from client: C) throws(ClientError) -> Bool {
        guard let contentLength, contentLength > 0 else { return false }
        try loadFirst(from: client)
        cursor = first.count
        first.withUnsafeBytes { writer.bodyPacket($0) }
        return true
    }

    /// Writes the answer to a GET_BODY_CHUNK into `writer`: at most `maxBytes` of data, or the
    /// empty packet once the body is exhausted.
    public mutating func writeNextPacket<C: ClientSide>(maxBytes: Int, into writer: inout AJPPacketWriter, from client: C) throws(ClientError) {
        try loadFirst(from: client)
        if cursor < first.count {
            let end = min(first.count, cursor + max(0, maxBytes))
            first.withUnsafeBytes { writer.bodyPacket(UnsafeRawBufferPointer(rebasing: $0[cursor..<end])) }
            cursor = end
            return
        }
        if bytesRead > Int64(first.count) || !clientEnded { consumedBeyondFirst = true }
        let count = try readClient(maxBytes: min(max(0, maxBytes), maxChunk), from: client)
        scratch.withUnsafeBytes { writer.bodyPacket(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }

    /// True when a body packet may go ahead of the container's request for it: the length is
    /// known, the client has bytes left to send, and the kept first packet has been served.
    /// The empty end-of-body packet never goes ahead: a container that reads exactly the length
    /// (a form) does not ask for it, and an unasked packet would be left on the connection.
    public var canSendAhead: Bool {
        guard let contentLength, firstLoaded, cursor >= first.count, !clientEnded else { return false }
        return bytesRead < contentLength
    }

    /// Writes a body packet ahead of the container's request into `writer`, from bytes the
    /// client has already sent (no wait: a client that waits for the response before sending
    /// more must not stall the exchange). Returns false when none could be written.
    public mutating func writeAheadPacket<C: ClientSide>(maxBytes: Int, into writer: inout AJPPacketWriter, from client: C) throws(ClientError) -> Bool {
        guard canSendAhead, let contentLength else { return false }
        if scratch.count < maxChunk { scratch = [UInt8](repeating: 0, count: maxChunk) }
        let wanted = Int(min(Int64(min(max(0, maxBytes), maxChunk)), contentLength - bytesRead))
        var filled = 0
        while filled < wanted {
            let got = try readIntoScratch(filled..<wanted, from: client, waiting: false)
            if got <= 0 { break }
            filled += got
            bytesRead += Int64(got)
        }
        if bytesRead >= contentLength { clientEnded = true }
        guard filled > 0 else { return false }
        consumedBeyondFirst = true
        scratch.withUnsafeBytes { writer.bodyPacket(UnsafeRawBufferPointer(rebasing: $0[0..<filled])) }
        return true
    }

    private mutating func loadFirst<C: ClientSide>(from client: C) throws(ClientError) {
        guard !firstLoaded else { return }
        firstLoaded = true
        let count = try readClient(maxBytes: maxChunk, from: client)
        first = Array(scratch[0..<count])
    }

    /// Reads up to `maxBytes` (filling as much as the client gives, so packets are full) into
    /// `scratch`, returning the count.
    private mutating func readClient<C: ClientSide>(maxBytes: Int, from client: C) throws(ClientError) -> Int {
        if scratch.count < maxChunk { scratch = [UInt8](repeating: 0, count: maxChunk) }
        var wanted = maxBytes
        if let contentLength { wanted = Int(min(Int64(wanted), max(0, contentLength - bytesRead))) }
        var filled = 0
        while filled < wanted && !clientEnded {
            let got = try readIntoScratch(filled..<wanted, from: client, waiting: true)
            if got == 0 {
                clientEnded = true
                if let contentLength, bytesRead < contentLength { throw .readFailed }
                break
            }
            filled += got
            bytesRead += Int64(got)
            if let contentLength, bytesRead >= contentLength { clientEnded = true }
        }
        return filled
    }

    /// One client read into `scratch[range]`: waiting for the client (`readBody`) or taking
    /// only what it has already sent (`readAvailableBody`).
    private mutating func readIntoScratch<C: ClientSide>(
        _ range: Range<Int>, from client: C, waiting: Bool
    ) throws(ClientError) -> Int {
        let result = scratch.withUnsafeMutableBytes { (buffer) -> Result<Int, ClientError> in
            do throws(ClientError) {
                let target = UnsafeMutableRawBufferPointer(rebasing: buffer[range])
                return .success(waiting ? try client.readBody(into: target) : try client.readAvailableBody(into: target))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}
