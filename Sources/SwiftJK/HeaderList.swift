import AJP13
import CSwiftJKABI
import Glibc

/// The request headers: a zero-copy view of httpd's `r->headers_in` (valid during the handler
/// call), or owned strings in tests. Names and values are used as raw bytes; Swift strings are
/// made only for the few headers SwiftJK inspects (cookies, for sticky routes).
struct HeaderList: @unchecked Sendable {
    private enum Storage {
        case view(UnsafePointer<sjk_header>?, Int)
        case owned([ForwardRequest.Header])
    }

    private let storage: Storage

    init(view base: UnsafePointer<sjk_header>?, count: Int) {
        storage = .view(base, max(0, count))
    }

    init(_ headers: [ForwardRequest.Header]) {
        storage = .owned(headers)
    }

    var count: Int {
        switch storage {
        case .view(let base, let count): base == nil ? 0 : count
        case .owned(let headers): headers.count
        }
    }

    /// Calls `body` with each header's name and value bytes, in order.
    func forEach(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
        switch storage {
        case .view(let base, let count):
            guard let base else { return }
            for index in 0..<count {
                let entry = base[index]
                guard let name = entry.name else { continue }
                let nameBytes = UnsafeRawBufferPointer(start: name, count: strlen(name))
                if let value = entry.value {
                    body(nameBytes, UnsafeRawBufferPointer(start: value, count: strlen(value)))
                } else {
                    body(nameBytes, UnsafeRawBufferPointer(start: nil, count: 0))
                }
            }
        case .owned(let headers):
            for header in headers {
                var name = header.name
                var value = header.value
                name.withUTF8 { n in value.withUTF8 { v in body(UnsafeRawBufferPointer(n), UnsafeRawBufferPointer(v)) } }
            }
        }
    }

    /// True when a header with this (lowercase) name is present.
    func contains(_ lowercaseName: StaticString) -> Bool {
        var found = false
        forEach { name, _ in
            if !found && AJPRequestHeader.matches(name, lowercaseName) { found = true }
        }
        return found
    }

    /// Calls `body` with the value bytes of every header with this (lowercase) name, in order.
    func forEachValue(_ lowercaseName: StaticString, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        forEach { name, value in
            if AJPRequestHeader.matches(name, lowercaseName) { body(value.assumingMemoryBound(to: UInt8.self)) }
        }
    }

    /// The values of every header with this (lowercase) name, as strings.
    func values(_ lowercaseName: StaticString) -> [Substring] {
        var values: [Substring] = []
        forEach { name, value in
            if AJPRequestHeader.matches(name, lowercaseName) { values.append(Substring(String(decoding: value, as: UTF8.self))) }
        }
        return values
    }

    /// Name and value length of the header at `index` (for "request too large" messages).
    func describe(_ index: Int) -> (name: String, valueLength: Int)? {
        var position = 0
        var result: (String, Int)?
        forEach { name, value in
            if position == index { result = (String(decoding: name, as: UTF8.self), value.count) }
            position += 1
        }
        return result
    }

    /// Owned copies (tests, and the value-type `ForwardRequest`).
    var owned: [ForwardRequest.Header] {
        var list: [ForwardRequest.Header] = []
        forEach { name, value in
            list.append(ForwardRequest.Header(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
        return list
    }
}
