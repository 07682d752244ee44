import CSwiftJKABI

/// httpd's request environment (`r->subprocess_env`, what `SetEnv`, `SetEnvIf` and mod_rewrite's
/// `E=` set), read through the shim's `get_env` callback. The one reader for translate_name,
/// the handler's worker choice and the request facts.
///
/// Most requests carry an empty environment at this point; the view says how many entries it
/// has, and an empty one answers every lookup without calling into httpd (the facts look up
/// some 17 indicator variables per request: about 1,000 instructions, callgrind).
struct RequestEnvironment {
    private let r: UnsafeMutableRawPointer?
    private let getEnv: (@convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?) -> UnsafePointer<CChar>?)?

    /// `withCommonVariables`: first add httpd's common CGI variables (REMOTE_ADDR, HTTP_*,
    /// SERVER_NAME, DOCUMENT_ROOT …), as mod_jk does before it reads JkEnvVar variables, so
    /// `JkEnvVar REMOTE_ADDR` or `JkEnvVar HTTP_X_FORWARDED_FOR` find them. Only then: most
    /// configurations have no JkEnvVar, and their requests keep the empty environment.
    init(_ view: sjk_request_view, withCommonVariables: Bool = false) {
        r = view.r
        if withCommonVariables, let add = view.host?.pointee.add_common_vars {
            add(view.r)
            getEnv = view.host?.pointee.get_env
        } else {
            getEnv = view.env_count > 0 ? view.host?.pointee.get_env : nil
        }
    }

    init(_ view: sjk_translate_view) {
        r = view.r
        getEnv = view.env_count > 0 ? view.host?.pointee.get_env : nil
    }

    /// A variable named by a C string made once (the indicator names of `Configuration`).
    subscript(name: UnsafePointer<CChar>) -> String? {
        guard let getEnv else { return nil }
        return getEnv(r, name).map { String(cString: $0) }
    }

    subscript(name: StaticString) -> String? {
        self[UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)]
    }

    subscript(name: String) -> String? {
        guard let getEnv else { return nil }
        return name.withCString { getEnv(r, $0) }.map { String(cString: $0) }
    }
}
