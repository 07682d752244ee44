/// The machine-readable forms of a `StatusDocument`, laid out as mod_jk 1.2.48 writes them
/// (docs/status-worker.md), so scripts and monitoring that parse mod_jk's output keep working.
public enum StatusRenderers {
    /// How a form is named and spelled.
    public struct Options: Sendable {
        /// `cmd=list` writes the "Balancer Workers: count=N" / `lb_count` lines; `show` does not.
        public var listing: Bool
        /// `prefix` of the status worker (prop form), default `worker`.
        public var prefix: String
        /// `ns` (default `jk:`), `xmlns` and `doctype` (xml form).
        public var ns: String
        public var xmlns: String
        public var doctype: String?

        public init(listing: Bool = true, prefix: String = "worker", ns: String = "jk:", xmlns: String = "xmlns:jk=\"http://tomcat.apache.org\"", doctype: String? = nil) {
            self.listing = listing
            self.prefix = prefix
            self.ns = ns
            self.xmlns = xmlns
            self.doctype = doctype
        }
    }

    // MARK: txt

    public static func text(_ document: StatusDocument, _ options: Options) -> String {
        var out = ""
        if let header = document.header {
            out += "Server: name=\(header.serverName) port=\(header.serverPort)\n"
        }
        if let header = document.header, !header.serverOnly {
            out += "Time: datetime=\(header.datetime) tz=\(header.timezone) unix=\(header.unixTime)\n"
            out += "Software: web_server=\"\(header.webServer)\" jk_version=\(header.jkVersion)\n"
        }
        if let balancers = document.balancers {
            if options.listing { out += "Balancer Workers: count=\(balancers.count)\n" }
            for balancer in balancers {
                out += line("Balancer Worker", balancer.fields)
                for member in balancer.members { out += line("Member", member) }
                for map in balancer.maps { out += line("Map", map) }
            }
        }
        if let workers = document.ajpWorkers {
            if options.listing { out += "AJP Workers: count=\(workers.count)\n" }
            for worker in workers {
                out += line("AJP Worker", worker.fields)
                for map in worker.maps { out += line("Map", map) }
            }
        }
        if let configuration = document.configuration {
            out += "Configuration:\n"
            for entry in configuration { out += entry + "\n" }
        }
        out += "Result: type=\(document.result.ok ? "OK" : "ERROR") message=\"\(document.result.message)\"\n"
        return out
    }

    static func line(_ label: String, _ record: Record) -> String {
        var out = label + ":"
        for field in record.fields {
            out += " \(field.key)=" + (field.quoted ? "\"\(field.value)\"" : field.value)
        }
        return out + "\n"
    }

    // MARK: prop

    public static func properties(_ document: StatusDocument, _ options: Options) -> String {
        let p = options.prefix
        var out = ""
        if let header = document.header {
            out += "\(p).server_name=\(header.serverName)\n\(p).server_port=\(header.serverPort)\n"
        }
        if let header = document.header, !header.serverOnly {
            out += "\(p).time_datetime=\(header.datetime)\n\(p).time_tz=\(header.timezone)\n\(p).time_unix=\(header.unixTime)\n"
            out += "\(p).web_server=\(header.webServer)\n\(p).jk_version=\(header.jkVersion)\n"
        }
        if let balancers = document.balancers {
            if options.listing { out += "\(p).lb_count=\(balancers.count)\n" }
            for balancer in balancers {
                // mod_jk writes one `worker.list=` line per lb.
                out += "\(p).list=\(balancer.name)\n"
                for field in balancer.fields.fields where field.key != "name" { out += "\(p).\(balancer.name).\(field.key)=\(field.value)\n" }
                for member in balancer.members {
                    let name = member["name"] ?? ""
                    out += "\(p).\(balancer.name).balance_workers=\(name)\n"
                    for field in member.fields where field.key != "name" {
                        // mod_jk writes a member's reset and error times under the lb's name,
                        // two of them with a space in the key.
                        let shared = field.key.hasPrefix("last_reset_") || field.key.hasPrefix("error_time_")
                        out += "\(p).\(shared ? balancer.name : name).\(propertyKey(field.key))=\(field.value)\n"
                    }
                }
                out += mapProperties(balancer.name, balancer.maps, p)
            }
        }
        if let workers = document.ajpWorkers {
            if options.listing { out += "\(p).ajp_count=\(workers.count)\n" }
            for worker in workers {
                out += "\(p).\(worker.name).list=\(worker.name)\n"
                for field in worker.fields.fields where field.key != "name" {
                    out += "\(p).\(worker.name).\(propertyKey(field.key))=\(field.value)\n"
                }
                out += mapProperties(worker.name, worker.maps, p)
            }
        }
        if let configuration = document.configuration {
            for entry in configuration { out += entry + "\n" }
        }
        out += "\(p).result.type=\(document.result.ok ? "OK" : "ERROR")\n\(p).result.message=\(document.result.message)\n"
        return out
    }

    /// mod_jk 1.2.48's prop keys for two error-time fields contain a space.
    static func propertyKey(_ key: String) -> String {
        switch key {
        case "error_time_unix_seconds": "error_time_unix seconds"
        case "error_time_ago": "error_time_ago seconds"
        default: key
        }
    }

    static func mapProperties(_ owner: String, _ maps: [Record], _ p: String) -> String {
        var out = ""
        for map in maps {
            let id = map["id"] ?? ""
            for field in map.fields where field.key != "id" { out += "\(p).\(owner).map.\(id).\(field.key)=\(field.value)\n" }
        }
        return out
    }

    // MARK: xml

    public static func xml(_ document: StatusDocument, _ options: Options) -> String {
        let ns = options.ns == "-" ? "" : options.ns
        let xmlns = options.xmlns == "-" ? "" : options.xmlns
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n"
        if let doctype = options.doctype { out += doctype + "\n" }
        out += xmlns.isEmpty ? "<\(ns)status\n>\n" : "<\(ns)status\n  \(xmlns)>\n"
        if let header = document.header {
            out += element("server", [("name", header.serverName), ("port", String(header.serverPort))], indent: "", ns)
        }
        if let header = document.header, !header.serverOnly {
            out += element("time", [("datetime", header.datetime), ("tz", header.timezone), ("unix", String(header.unixTime))], indent: "", ns)
            out += element("software", [("web_server", header.webServer), ("jk_version", header.jkVersion)], indent: "", ns)
        }
        if let balancers = document.balancers {
            if options.listing { out += "<\(ns)balancers\n  count=\"\(balancers.count)\"\n>\n" }
            for balancer in balancers {
                out += open("balancer", balancer.fields, indent: "  ", ns)
                for member in balancer.members { out += element("member", xmlOrder(pairs(member)), indent: "      ", ns) }
                for map in balancer.maps { out += element("map", pairs(map), indent: "      ", ns) }
                out += "  </\(ns)balancer>\n"
            }
            if options.listing { out += "</\(ns)balancers>\n" }
        }
        if let workers = document.ajpWorkers {
            if options.listing { out += "<\(ns)ajp_workers\n  count=\"\(workers.count)\"\n>\n" }
            for worker in workers {
                // mod_jk closes the ajp element and lists its maps after it, not inside.
                out += element("ajp", xmlOrder(pairs(worker.fields)), indent: "  ", ns)
                for map in worker.maps { out += element("map", pairs(map), indent: "      ", ns) }
            }
            if options.listing { out += "</\(ns)ajp_workers>\n" }
        }
        if let configuration = document.configuration {
            let attributes = configuration.map { entry -> (String, String) in
                guard let equals = entry.firstIndex(of: "=") else { return (entry, "") }
                return (String(entry[..<equals]), String(entry[entry.index(after: equals)...]))
            }
            out += element("configuration", attributes, indent: "  ", ns)
        }
        out += element("result", [("type", document.result.ok ? "OK" : "ERROR"), ("message", document.result.message)], indent: "  ", ns)
        out += "</\(ns)status>\n"
        return out
    }

    static func pairs(_ record: Record) -> [(String, String)] { record.fields.map { ($0.key, $0.value) } }

    /// mod_jk's xml form puts an ajp13 worker's or member's `connection_ping_interval` before
    /// `retries`.
    static func xmlOrder(_ attributes: [(String, String)]) -> [(String, String)] {
        guard let interval = attributes.firstIndex(where: { $0.0 == "connection_ping_interval" }),
            let retries = attributes.firstIndex(where: { $0.0 == "retries" }), retries < interval
        else { return attributes }
        var reordered = attributes
        let moved = reordered.remove(at: interval)
        reordered.insert(moved, at: retries)
        return reordered
    }

    static func element(_ name: String, _ attributes: [(String, String)], indent: String, _ ns: String) -> String {
        var out = "\(indent)<\(ns)\(name)\n"
        for (key, value) in attributes { out += "\(indent)  \(key)=\"\(escape(value))\"\n" }
        return out + "\(indent)/>\n"
    }

    static func open(_ name: String, _ record: Record, indent: String, _ ns: String) -> String {
        var out = "\(indent)<\(ns)\(name)\n"
        for field in record.fields { out += "\(indent)  \(field.key)=\"\(escape(field.value))\"\n" }
        return out + "\(indent)>\n"
    }

    /// XML and HTML escaping of text and attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    // MARK: json (SwiftJK: the xml model, plus SwiftJK's own member values)

    public static func json(_ document: StatusDocument) -> String {
        var parts: [String] = []
        if let header = document.header {
            parts.append("\"server\":{\"name\":\(quote(header.serverName)),\"port\":\(header.serverPort)}")
            parts.append("\"time\":{\"datetime\":\(quote(header.datetime)),\"tz\":\(quote(header.timezone)),\"unix\":\(header.unixTime)}")
            parts.append("\"software\":{\"web_server\":\(quote(header.webServer)),\"jk_version\":\(quote(header.jkVersion))}")
        }
        if let balancers = document.balancers {
            let items = balancers.map { balancer -> String in
                var fields = object(balancer.fields, extra: balancer.extras)
                fields.removeLast()
                let members = balancer.members.enumerated().map { index, member in
                    object(member, extra: index < balancer.memberExtras.count ? balancer.memberExtras[index] : Record())
                }
                return fields + ",\"members\":[\(members.joined(separator: ","))],\"maps\":[\(balancer.maps.map { object($0) }.joined(separator: ","))]}"
            }
            parts.append("\"balancers\":[\(items.joined(separator: ","))]")
        }
        if let workers = document.ajpWorkers {
            let items = workers.map { worker -> String in
                var fields = object(worker.fields)
                fields.removeLast()
                return fields + ",\"maps\":[\(worker.maps.map { object($0) }.joined(separator: ","))]}"
            }
            parts.append("\"ajp_workers\":[\(items.joined(separator: ","))]")
        }
        if let configuration = document.configuration {
            parts.append("\"configuration\":[\(configuration.map(quote).joined(separator: ","))]")
        }
        parts.append("\"result\":{\"type\":\(quote(document.result.ok ? "OK" : "ERROR")),\"message\":\(quote(document.result.message))}")
        return "{" + parts.joined(separator: ",") + "}\n"
    }

    static func object(_ record: Record, extra: Record = Record()) -> String {
        let fields = (record.fields + extra.fields).map { field in
            quote(field.key) + ":" + (field.numeric ? field.value : quote(field.value))
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
