import AJP13
import JKConfig

@testable import SwiftJK

/// The FORWARD_REQUEST of an httpd request as a value (the model the tests compare
/// `RequestEncoder`'s bytes with); production writes the bytes directly (RequestEncoder).
extension ForwardRequest {
    /// The AJP request for an httpd request (mod_jk's `init_ws_service` + `ajp_marshal_into_msgb`
    /// inputs). Per-attempt attributes (secret, route, JK_LB_ACTIVATION) are set by the caller.
    init(facts: RequestFacts, options: JkOptions) {
        var headers = facts.headers.owned
        let hasBody = facts.contentLength != 0
        if facts.contentLength < 0 {
            // Chunked or unknown length: Tomcat treats a missing Content-Length as "read until
            // the empty packet", which is what we will send.
            headers.removeAll { $0.name.utf8.count == 14 && $0.name.lowercased() == "content-length" }
        } else if !hasBody, !headers.contains(where: { $0.name.utf8.count == 14 && $0.name.lowercased() == "content-length" }) {
            // Tomcat reads an absent Content-Length as "unknown, non-zero body": say 0.
            headers.append(ForwardRequest.Header("content-length", "0"))
        }
        var attributes = Attributes()
        attributes.remoteUser = facts.remoteUser
        attributes.authType = facts.authType
        attributes.queryString = facts.queryString
        if let ssl = facts.ssl {
            attributes.sslCert = ssl.cert
            attributes.sslCipher = ssl.cipher
            attributes.sslSession = ssl.session
            attributes.sslKeySize = ssl.keySize
        }
        var named: [Header] = []
        if let sslProtocol = facts.ssl?.sslProtocol { named.append(Header("AJP_SSL_PROTOCOL", sslProtocol)) }
        named.append(Header("AJP_REMOTE_PORT", facts.indicatedRemotePort ?? String(facts.remotePort)))
        named.append(Header("AJP_LOCAL_ADDR", facts.localAddress))
        attributes.requestAttributes = named + facts.environmentAttributes
        self.init(
            method: facts.method, protocolVersion: facts.protocolVersion,
            uri: Self.forwardedURI(facts, options: options), remoteAddress: facts.remoteAddress,
            remoteHost: facts.remoteHost, serverName: facts.serverName,
            serverPort: UInt16(clamping: facts.serverPort), isSSL: facts.isSSL, headers: headers,
            attributes: attributes)
    }

    /// Sets the per-attempt attributes: the member's secret, the route and `JK_LB_ACTIVATION`
    /// (inserted before any `JkEnvVar`, in mod_jk's order).
    mutating func prepareAttempt(secret: String?, route: String?, activation: String?) {
        attributes.secret = secret
        attributes.route = route
        attributes.requestAttributes.removeAll { $0.name == "JK_LB_ACTIVATION" }
        if let activation {
            let position = attributes.requestAttributes.firstIndex {
                $0.name != "AJP_SSL_PROTOCOL" && $0.name != "AJP_REMOTE_PORT" && $0.name != "AJP_LOCAL_ADDR"
            } ?? attributes.requestAttributes.count
            attributes.requestAttributes.insert(Header("JK_LB_ACTIVATION", activation), at: position)
        }
    }
}
