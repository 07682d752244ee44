import Glibc
import JKCore

/// A resolved backend address. Resolved once (at child start, as mod_jk does at worker init), then
/// reused for every connect.
public struct SocketAddress: Sendable, CustomStringConvertible {
    var storage: sockaddr_storage
    var length: socklen_t
    public let family: Int32
    /// "127.0.0.1:8009" or "[::1]:8009".
    public let description: String

    /// Resolves `host` with getaddrinfo, preferring IPv4 unless `preferIPv6`.
    public static func resolve(host: String, port: Int, preferIPv6: Bool = false) throws(TransportError) -> SocketAddress {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let first = result else {
            let reason = rc == 0 ? "no address" : String(cString: gai_strerror(rc))
            throw .unresolved(host: host, reason: reason)
        }
        defer { freeaddrinfo(result) }
        var chosen: UnsafeMutablePointer<addrinfo>? = nil
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        let wanted = preferIPv6 ? AF_INET6 : AF_INET
        while let entry = cursor {
            if chosen == nil { chosen = entry }
            if entry.pointee.ai_family == wanted {
                chosen = entry
                break
            }
            cursor = entry.pointee.ai_next
        }
        guard let entry = chosen, let address = entry.pointee.ai_addr else {
            throw .unresolved(host: host, reason: "no address")
        }
        var storage = sockaddr_storage()
        let length = min(Int(entry.pointee.ai_addrlen), MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutableBytes(of: &storage) { target in
            target.copyMemory(from: UnsafeRawBufferPointer(start: address, count: length))
        }
        let family = entry.pointee.ai_family
        return SocketAddress(
            storage: storage, length: socklen_t(length), family: family,
            description: Self.render(storage, family: family, port: port))
    }

    static func render(_ storage: sockaddr_storage, family: Int32, port: Int) -> String {
        var storage = storage
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let ok: Bool = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: UInt8.self, capacity: MemoryLayout<sockaddr_storage>.size) { bytes in
                if family == AF_INET6 {
                    return bytes.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { in6 in
                        var address = in6.pointee.sin6_addr
                        return inet_ntop(AF_INET6, &address, &text, socklen_t(text.count)) != nil
                    }
                }
                return bytes.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { in4 in
                    var address = in4.pointee.sin_addr
                    return inet_ntop(AF_INET, &address, &text, socklen_t(text.count)) != nil
                }
            }
        }
        let host = ok ? String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
        return family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
