import AJP13
import JKClient

/// A `ClientSide` that feeds a fixed request body and records the response.
public final class RecordingClient: ClientSide {
    public private(set) var status: Int?
    public private(set) var reason: String?
    public private(set) var headers: [(String, String)] = []
    public private(set) var body: [UInt8] = []
    public private(set) var flushes = 0
    /// How many chunks each body write carried (`writeBody`: 1; `writeBodies`: its count).
    public private(set) var bodyWrites: [Int] = []
    private var requestBody: [UInt8]
    private var offset = 0
    /// Fail reading the body after this many bytes (client abort mid-body).
    public var failReadAfter: Int?
    /// Fail writing after this many body bytes (client gone mid-response).
    public var failWriteAfter: Int?
    /// How much of the body the client has sent so far, for reads that do not wait
    /// (`readAvailableBody`); nil: all of it.
    public var sentSoFar: Int?
    /// Body bytes taken by reads that do not wait.
    public private(set) var readWithoutWaiting = 0
    /// Report the response's Content-Length less the body written as `bodyStillPromised`, as
    /// httpd's side does; off by default (no promise, every read takes what has come).
    public var reportsPromisedBody = false
    private var contentLength: Int64?

    public var bodyStillPromised: Int64 {
        guard reportsPromisedBody, let contentLength else { return 0 }
        return max(0, contentLength - Int64(body.count))
    }

    public init(requestBody: [UInt8] = []) { self.requestBody = requestBody }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    public func readBody(into buffer: UnsafeMutableRawBufferPointer) throws(ClientError) -> Int {
        if let limit = failReadAfter, offset >= limit { throw .readFailed }
        let count = min(buffer.count, requestBody.count - offset, (failReadAfter ?? Int.max) - offset)
        guard count > 0 else { return 0 }
        requestBody.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + count)]))
        }
        offset += count
        return count
    }

    public func readAvailableBody(into buffer: UnsafeMutableRawBufferPointer) throws(ClientError) -> Int {
        let limit = min(sentSoFar ?? Int.max, failReadAfter ?? Int.max)
        guard offset < limit else { return 0 }
        let count = try readBody(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(buffer.count, limit - offset)]))
        readWithoutWaiting += count
        return count
    }

    public func startResponse(_ headers: SendHeaders, payload: UnsafeRawBufferPointer) throws(ClientError) {
        status = headers.status
        reason = headers.reason.map { payload.string($0) }
        headers.forEachHeader(in: payload) { name, value in
            switch name {
            case .coded(let text): self.headers.append((text.description, payload.string(value)))
            case .named(let range): self.headers.append((payload.string(range), payload.string(value)))
            }
        }
        contentLength = self.headers.last { $0.0.lowercased() == "content-length" }.flatMap { Int64($0.1) }
    }

    public func writeBody(_ bytes: UnsafeRawBufferPointer) throws(ClientError) {
        try append(bytes)
        bodyWrites.append(1)
    }

    public func writeBodies(_ slices: UnsafeBufferPointer<UnsafeRawBufferPointer>) throws(ClientError) {
        for slice in slices { try append(slice) }
        bodyWrites.append(slices.count)
    }

    private func append(_ bytes: UnsafeRawBufferPointer) throws(ClientError) {
        if let limit = failWriteAfter, body.count + bytes.count > limit { throw .aborted }
        body.append(contentsOf: bytes)
    }

    public func flush() throws(ClientError) { flushes += 1 }
}
