/// The Prometheus text exposition format (version 0.0.4) of the balancers: state, activation,
/// busy and the counters of every member, summed over all httpd children (they live in the
/// shared records). Counter values equal the `mime=prop` fields named in each family's help.
public enum PrometheusRenderer {
    struct Family {
        let name: String
        let type: String
        let help: String
        /// The member field it reads, or nil for a one-hot label family.
        let field: String?
    }

    static let memberFamilies: [Family] = [
        Family(name: "swiftjk_member_requests_total", type: "counter", help: "Requests sent to the member (prop: elected).", field: "elected"),
        Family(name: "swiftjk_member_sessions_total", type: "counter", help: "Requests without a session sent to the member (prop: sessions).", field: "sessions"),
        Family(name: "swiftjk_member_errors_total", type: "counter", help: "Failed attempts on the member (prop: errors).", field: "errors"),
        Family(name: "swiftjk_member_client_errors_total", type: "counter", help: "Requests the client broke off (prop: client_errors).", field: "client_errors"),
        Family(name: "swiftjk_member_sent_bytes_total", type: "counter", help: "Bytes sent to the member (prop: transferred).", field: "transferred"),
        Family(name: "swiftjk_member_received_bytes_total", type: "counter", help: "Bytes received from the member (prop: read).", field: "read"),
        Family(name: "swiftjk_member_failovers_total", type: "counter", help: "Requests that failed over from this member to another.", field: "failovers"),
        Family(name: "swiftjk_member_recoveries_total", type: "counter", help: "Times the member came back from error.", field: "recoveries"),
        Family(name: "swiftjk_member_busy", type: "gauge", help: "Requests in flight on the member (prop: busy).", field: "busy"),
        Family(name: "swiftjk_member_lbfactor", type: "gauge", help: "The member's load-balancing factor (prop: lbfactor).", field: "lbfactor"),
    ]

    static let states = ["OK", "OK/IDLE", "OK/BUSY", "ERR", "ERR/REC", "ERR/FRC", "ERR/PRB"]
    static let activations = ["ACT", "DIS", "STP"]

    public static func render(_ document: StatusDocument) -> String {
        let balancers = document.balancers ?? []
        var out = ""
        out += "# HELP swiftjk_member_state The member's state (1 for the current one).\n# TYPE swiftjk_member_state gauge\n"
        forEachMember(balancers) { lb, name, member, _ in
            for state in states {
                out += "swiftjk_member_state{\(labels(lb, name)),state=\"\(state)\"} \(member["state"] == state ? 1 : 0)\n"
            }
        }
        out += "# HELP swiftjk_member_activation The member's activation (1 for the current one).\n# TYPE swiftjk_member_activation gauge\n"
        forEachMember(balancers) { lb, name, member, _ in
            for activation in activations {
                out += "swiftjk_member_activation{\(labels(lb, name)),activation=\"\(activation)\"} \(member["activation"] == activation ? 1 : 0)\n"
            }
        }
        for family in memberFamilies {
            out += "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) \(family.type)\n"
            forEachMember(balancers) { lb, name, member, extras in
                let value = member[family.field ?? ""] ?? extras[family.field ?? ""] ?? "0"
                out += "\(family.name){\(labels(lb, name))} \(number(value))\n"
            }
        }
        out += "# HELP swiftjk_lb_failovers_total Requests that failed over from one member to another.\n# TYPE swiftjk_lb_failovers_total counter\n"
        for balancer in balancers {
            out += "swiftjk_lb_failovers_total{lb=\"\(escape(balancer.name))\"} \(number(balancer.extras["failovers"] ?? "0"))\n"
        }
        out += "# HELP swiftjk_lb_busy Requests in flight on the lb (prop: busy).\n# TYPE swiftjk_lb_busy gauge\n"
        for balancer in balancers {
            out += "swiftjk_lb_busy{lb=\"\(escape(balancer.name))\"} \(number(balancer.fields["busy"] ?? "0"))\n"
        }
        return out
    }

    static func forEachMember(_ balancers: [StatusDocument.Balancer], _ body: (String, String, Record, Record) -> Void) {
        for balancer in balancers {
            for (index, member) in balancer.members.enumerated() {
                let extras = index < balancer.memberExtras.count ? balancer.memberExtras[index] : Record()
                body(balancer.name, member["name"] ?? "", member, extras)
            }
        }
    }

    static func labels(_ lb: String, _ member: String) -> String { "lb=\"\(escape(lb))\",member=\"\(escape(member))\"" }

    /// Label values escape backslash, quote and newline.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    static func number(_ text: String) -> String { Int64(text) != nil || UInt64(text) != nil ? text : "0" }
}
