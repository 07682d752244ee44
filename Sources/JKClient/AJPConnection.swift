import AJP13
import JKCore

/// One AJP connection with its own buffers, reused across requests.
///
/// The receive buffer holds two whole packets and at least 32 KiB (four default packets);
/// reads take whatever the kernel has, so a typical small response (SEND_HEADERS +
/// SEND_BODY_CHUNK + END_RESPONSE) costs one `recv`, and body chunks that arrived together are
/// written to the client together (`nextMessageBuffered`). The send buffer is the packet writer.
/// Both are allocated once per connection; pages of the receive buffer that no response
/// reached are never touched.
///
/// A connection is used by one thread at a time; the pool's lock hands it over, hence
/// `@unchecked Sendable`.
public final class AJPConnection: @unchecked Sendable {
    public let stream: any ByteStream
    public let maxPacketSize: Int
    public var writer: AJPPacketWriter
    private let receive: UnsafeMutableRawBufferPointer
    private var readIndex = 0
    private var writeIndex = 0
    /// Sees every packet sent (`outgoing`) and received, header included (`JkLogLevel trace`).
    public var tracer: ((_ outgoing: Bool, _ packet: UnsafeRawBufferPointer) -> Void)?
    /// Requests completed on this connection (0 = fresh).
    public private(set) var requestsServed = 0
    /// AJP bytes written to and read from the container, headers included: what mod_jk counts
    /// as a worker's "transferred" and "read" (the JK_LB_*_TRANSFERRED/READ notes, the status
    /// worker's Wr/Rd, and the `T` lb method).
    public private(set) var bytesSent: UInt64 = 0
    public private(set) var bytesReceived: UInt64 = 0
    public let id: Int

    public init(stream: any ByteStream, maxPacketSize: Int, id: Int) {
        self.stream = stream
        self.maxPacketSize = maxPacketSize
        self.writer = AJPPacketWriter(limit: maxPacketSize)
        self.receive = UnsafeMutableRawBufferPointer.allocate(
            byteCount: Swift.max(maxPacketSize * 2, Self.minimumReceiveCapacity), alignment: 8)
        self.id = id
    }

    deinit {
        stream.close()
        receive.deallocate()
    }

    /// Sends the writer's current packet.
    public func sendPacket(timeout: Milliseconds) throws(TransportError) {
        // withUnsafeBytes only rethrows untyped errors: carry the typed one out as a value.
        let failure = writer.withPacket { (bytes) -> TransportError? in
            tracer?(true, bytes)
            do throws(TransportError) {
                try stream.write(bytes, timeout: timeout)
                bytesSent &+= UInt64(bytes.count)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    /// Reads the next whole packet and parses it. The payload stays valid until the next call
    /// that has to read (while `nextMessageBuffered`, later calls leave it in place).
    /// A failure is classified here, once: a read that waited `timeout` in vain is
    /// `.replyTimeout(timeout)`, a close before a packet began `.closedWithoutReply`.
    ///
    /// `promisedBody`: response body bytes the container has promised (its Content-Length) and
    /// not sent yet, when nothing else can come first; a read then waits for them to fill the
    /// buffer (`gatherTarget`).
    public func readMessage(
        timeout: Milliseconds, promisedBody: Int64 = 0
    ) throws(BackendFailure.Cause) -> (message: ContainerMessage, payload: UnsafeRawBufferPointer) {
        try fill(atLeast: 4, timeout: timeout, startOfPacket: true, promisedBody: promisedBody)
        let header = UnsafeRawBufferPointer(rebasing: receive[readIndex..<(readIndex + 4)])
        let length: Int
        switch ContainerMessage.payloadLength(header: header, maxPacketSize: maxPacketSize) {
        case .success(let value): length = value
        case .failure(let error): throw .protocolError(error)
        }
        try fill(atLeast: 4 + length, timeout: timeout, startOfPacket: false, promisedBody: promisedBody)
        let payload = UnsafeRawBufferPointer(rebasing: receive[(readIndex + 4)..<(readIndex + 4 + length)])
        if let tracer { tracer(false, UnsafeRawBufferPointer(rebasing: receive[readIndex..<(readIndex + 4 + length)])) }
        readIndex += 4 + length
        switch ContainerMessage.parse(payload) {
        case .success(let message): return (message, payload)
        case .failure(let error): throw .protocolError(error)
        }
    }

    /// True when unread bytes are buffered (a container that sent more than one response).
    public var hasBufferedBytes: Bool { writeIndex > readIndex }

    /// Four 8 KiB packets: a 64 KiB response reaches the client in about three writes, not nine.
    public static let minimumReceiveCapacity = 32 * 1024

    /// True when the next packet is wholly buffered: `readMessage` will neither read nor move
    /// the buffer, so payloads it returned before stay valid.
    public var nextMessageBuffered: Bool {
        let available = writeIndex - readIndex
        guard available >= 4 else { return false }
        let length = Int(receive[readIndex + 2]) << 8 | Int(receive[readIndex + 3])
        return available >= 4 + length
    }

    /// Ensures `count` bytes are buffered from `readIndex`, compacting first when needed.
    private func fill(
        atLeast count: Int, timeout: Milliseconds, startOfPacket: Bool, promisedBody: Int64
    ) throws(BackendFailure.Cause) {
        if writeIndex - readIndex >= count { return }
        if readIndex > 0 {
            let pending = writeIndex - readIndex
            if pending > 0, let base = receive.baseAddress {
                (base).copyMemory(from: base + readIndex, byteCount: pending)
            }
            writeIndex = pending
            readIndex = 0
        }
        while writeIndex < count {
            let space = UnsafeMutableRawBufferPointer(rebasing: receive[writeIndex...])
            let received: Int
            do {
                received = try stream.read(into: space, timeout: timeout, gathering: gatherTarget(space: space.count, promisedBody: promisedBody))
            } catch {
                throw error == .timedOut ? .replyTimeout(timeout) : .transport(error)
            }
            if received == 0 {
                throw startOfPacket && writeIndex == 0 ? .closedWithoutReply : .closedMidPacket
            }
            writeIndex += received
            bytesReceived &+= UInt64(max(0, received))
        }
    }

    /// The bytes a read into `space` free bytes may wait for: `promisedBody` still to come,
    /// and the END_RESPONSE after it (6 bytes), less what is buffered already (which holds at
    /// most that many body bytes), so the container is certain to send them unless it breaks
    /// its promise. 0 (take what comes) below `gatherThreshold`: too little to save a wake-up.
    func gatherTarget(space: Int, promisedBody: Int64) -> Int {
        guard promisedBody > 0 else { return 0 }
        let coming = promisedBody &+ Self.endResponseSize &- Int64(writeIndex - readIndex)
        let target = Int(clamping: min(coming, Int64(space)))
        return target >= Self.gatherThreshold ? target : 0
    }

    /// END_RESPONSE on the wire: header and two payload bytes.
    static let endResponseSize: Int64 = 6

    /// Two default packets: a response with less still to come is read as it arrives.
    public static let gatherThreshold = 16 * 1024

    /// Marks one request done (for statistics and the "fresh connection" rule).
    public func completedRequest() {
        requestsServed += 1
        readIndex = 0
        writeIndex = 0
    }

    /// CPING/CPONG: success when the container answered CPONG within `timeout`; a failure in
    /// the phase `.cping` otherwise.
    ///
    /// `keepWaiting` is asked each time `timeout` passes without the CPONG, with that window:
    /// true (a request on this worker completed within it: the backend is making progress) waits
    /// another `timeout` for the same CPONG (Tomcat answers a CPING only from a free request
    /// thread, so a busy one answers late, not never). Only the last window counts: a Tomcat
    /// that stopped taking connections after serving a few must not keep a thread waiting for
    /// ever.
    public func ping(timeout: Milliseconds, keepWaiting: (_ waited: Milliseconds) -> Bool = { _ in false }) -> Result<Void, BackendFailure> {
        writer.cping()
        do {
            try sendPacket(timeout: timeout)
        } catch {
            return .failure(BackendFailure(phase: .cping, cause: .transport(error)))
        }
        var waited = Milliseconds.zero
        while true {
            do {
                let (message, _) = try readMessage(timeout: timeout)
                guard message == .cpong else { return .failure(BackendFailure(phase: .cping, cause: .notCPong(message.type))) }
                readIndex = 0
                writeIndex = 0
                return .success(())
            } catch .replyTimeout {
                waited = Milliseconds(waited.value + timeout.value)
                if keepWaiting(timeout) { continue }
                return .failure(BackendFailure(phase: .cping, cause: .replyTimeout(waited)))
            } catch {
                return .failure(BackendFailure(phase: .cping, cause: error))
            }
        }
    }
}
