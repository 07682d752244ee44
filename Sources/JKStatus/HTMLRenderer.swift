/// SwiftJK's own status page: the same model as the xml form, with forms that change state
/// only by POST and carry a one-time nonce (mod_jk's page changes state by GET links, which
/// any page the operator visits can forge).
public enum HTMLRenderer {
    public struct Page: Sendable {
        /// The status worker's path ("/jkstatus"), for links and form actions.
        public var path: String
        /// The nonce for this page's forms; nil when the page offers no changes (read-only).
        public var nonce: String?
        public var refresh: Int
        /// A message at the top: the result of the last change.
        public var flash: String?
        public var flashIsError: Bool
        /// `css=`: a stylesheet URL of the operator's.
        public var css: String?

        public init(path: String, nonce: String?, refresh: Int = 0, flash: String? = nil, flashIsError: Bool = false, css: String? = nil) {
            self.path = path
            self.nonce = nonce
            self.refresh = refresh
            self.flash = flash
            self.flashIsError = flashIsError
            self.css = css
        }
    }

    static func e(_ text: String) -> String { StatusRenderers.escape(text) }

    public static func render(_ document: StatusDocument, _ page: Page) -> String {
        var out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>SwiftJK Status</title>\n"
        if page.refresh > 0 { out += "<meta http-equiv=\"refresh\" content=\"\(page.refresh)\">\n" }
        out += "<style>\(style)</style>\n"
        if let css = page.css { out += "<link rel=\"stylesheet\" href=\"\(e(css))\">\n" }
        out += "</head><body>\n<h1>SwiftJK Status</h1>\n"
        if let header = document.header {
            out += "<p class=\"server\">Server <b>\(e(header.serverName)):\(header.serverPort)</b> · \(e(header.webServer)) · \(e(header.jkVersion)) · \(e(header.datetime)) \(e(header.timezone))</p>\n"
        }
        out += "<p class=\"formats\">Formats: "
        out += ["xml", "prop", "txt", "json", "prometheus"].map { "<a href=\"\(e(page.path))?mime=\($0)\">\($0)</a>" }.joined(separator: " · ")
        out += " · <a href=\"\(e(page.path))?cmd=dump&amp;mime=txt\">configuration</a></p>\n"
        if let flash = page.flash {
            out += "<p id=\"result\" class=\"\(page.flashIsError ? "error" : "ok")\">\(e(flash))</p>\n"
            if page.flashIsError { out += "<p><a href=\"\(e(page.path))\">Back to the status page</a></p>\n" }
        } else if !document.result.ok {
            out += "<p id=\"result\" class=\"error\">\(e(document.result.message))</p>\n"
        }
        for balancer in document.balancers ?? [] { out += balancerSection(balancer, page) }
        if let workers = document.ajpWorkers, !workers.isEmpty {
            out += "<h2>AJP workers</h2>\n<table><tr>"
            let keys = ["name", "host", "port", "address", "connection_pool_timeout", "ping_timeout", "reply_timeout", "connected", "max_connected"]
            for key in keys { out += "<th>\(e(key))</th>" }
            out += "</tr>\n"
            for worker in workers {
                out += "<tr>" + keys.map { "<td>\(e(worker.fields[$0] ?? ""))</td>" }.joined() + "</tr>\n"
            }
            out += "</table>\n"
        }
        if let configuration = document.configuration {
            out += "<h2>Configuration</h2>\n<pre>" + configuration.map(e).joined(separator: "\n") + "</pre>\n"
        }
        out += "<p class=\"legend\">Act: ACT active, DIS disabled (only sticky requests; drains), STP stopped (nothing). State: OK, OK/IDLE, OK/BUSY, ERR, ERR/REC (may be tried), ERR/FRC, ERR/PRB. Changes apply to every httpd child at once and survive a graceful restart.</p>\n"
        out += "</body></html>\n"
        return out
    }

    static func balancerSection(_ balancer: StatusDocument.Balancer, _ page: Page) -> String {
        let f = balancer.fields
        var out = "<section class=\"lb\" id=\"lb-\(e(balancer.name))\">\n<h2>Load balancer <span class=\"name\">\(e(balancer.name))</span></h2>\n"
        out += "<p>sticky_session <b>\(e(f["sticky_session"] ?? ""))</b> · sticky_session_force <b>\(e(f["sticky_session_force"] ?? ""))</b> · retries <b>\(e(f["retries"] ?? ""))</b> · recover_time <b>\(e(f["recover_time"] ?? "")) s</b> · method <b>\(e(f["method"] ?? ""))</b> · good/degraded/bad <b>\(e(f["good"] ?? ""))/\(e(f["degraded"] ?? ""))/\(e(f["bad"] ?? ""))</b> · busy <b>\(e(f["busy"] ?? ""))</b> (max \(e(f["max_busy"] ?? ""))) · failovers <b>\(e(balancer.extras["failovers"] ?? "0"))</b></p>\n"
        out += "<table class=\"members\"><tr><th>Member</th><th>Route</th><th>Act</th><th>State</th><th>Factor</th><th>Requests</th><th>Sessions</th><th>Errors</th><th>Busy</th><th>Last sticky</th><th>Drain</th><th>Slow start</th>"
        if page.nonce != nil { out += "<th>Actions</th>" }
        out += "</tr>\n"
        for (index, member) in balancer.members.enumerated() {
            let extras = index < balancer.memberExtras.count ? balancer.memberExtras[index] : Record()
            let name = member["name"] ?? ""
            let activation = member["activation"] ?? ""
            let state = member["state"] ?? ""
            let lastSticky = Int(extras["last_sticky_ago"] ?? "-1") ?? -1
            let drainLeft = Int(extras["drain_stops_in"] ?? "-1") ?? -1
            let ramp = extras["slow_start_percent"] ?? "100"
            out += "<tr class=\"member\" id=\"member-\(e(name))\" data-activation=\"\(e(activation))\" data-state=\"\(e(state))\">"
            out += "<td class=\"name\">\(e(name))</td><td>\(e(member["route"] ?? ""))</td>"
            out += "<td class=\"activation act-\(e(activation))\">\(e(activation))</td><td class=\"state\">\(e(state))</td>"
            out += "<td>\(e(member["lbfactor"] ?? ""))</td><td>\(e(member["elected"] ?? ""))</td><td>\(e(member["sessions"] ?? ""))</td>"
            out += "<td>\(e(member["errors"] ?? ""))</td><td>\(e(member["busy"] ?? ""))</td>"
            out += "<td>\(lastSticky < 0 ? "never" : "\(lastSticky) s ago")</td>"
            out += "<td>\(drainLeft >= 0 ? "stops in \(drainLeft) s" : ((extras["drain_timeout"] ?? "0") == "0" ? "—" : "after \(e(extras["drain_timeout"] ?? "")) s quiet"))</td>"
            out += "<td>\(ramp == "100" ? "—" : "\(e(ramp)) %")</td>"
            if let nonce = page.nonce {
                out += "<td class=\"actions\">"
                for (code, label) in [("A", "Activate"), ("D", "Drain"), ("S", "Stop")] where !activation.hasPrefix(code) {
                    out += form(page.path, nonce, [("cmd", "update"), ("w", balancer.name), ("sw", name), ("vwa", code)], label: label, name: "\(label.lowercased())-\(name)")
                }
                out += form(page.path, nonce, [("cmd", "reset"), ("w", balancer.name), ("sw", name)], label: "Reset counters", name: "reset-\(name)")
                if state == "ERR" {
                    out += form(page.path, nonce, [("cmd", "recover"), ("w", balancer.name), ("sw", name)], label: "Try recovery", name: "recover-\(name)")
                }
                out += "<form method=\"post\" action=\"\(e(page.path))\" class=\"factor\">"
                out += hidden([("cmd", "update"), ("w", balancer.name), ("sw", name), ("nonce", nonce)])
                out += "<input type=\"number\" name=\"vwf\" min=\"1\" max=\"100000\" value=\"\(e(member["lbfactor"] ?? "1"))\" aria-label=\"lbfactor of \(e(name))\">"
                out += "<button type=\"submit\" id=\"factor-\(e(name))\">Set factor</button></form>"
                out += "</td>"
            }
            out += "</tr>\n"
        }
        out += "</table>\n"
        if !balancer.maps.isEmpty {
            out += "<p class=\"maps\">Mounts: " + balancer.maps.map { "\(e($0["uri"] ?? "")) (\(e($0["server"] ?? "")), \(e($0["source"] ?? "")))" }.joined(separator: ", ") + "</p>\n"
        }
        return out + "</section>\n"
    }

    static func form(_ path: String, _ nonce: String, _ fields: [(String, String)], label: String, name: String) -> String {
        "<form method=\"post\" action=\"\(e(path))\">" + hidden(fields + [("nonce", nonce)])
            + "<button type=\"submit\" id=\"\(e(name))\">\(e(label))</button></form>"
    }

    static func hidden(_ fields: [(String, String)]) -> String {
        fields.map { "<input type=\"hidden\" name=\"\(e($0.0))\" value=\"\(e($0.1))\">" }.joined()
    }

    static let style = """
        body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:.5em 0}\
        th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}th{background:#eee}\
        .actions form{display:inline;margin-right:.25em}.act-DIS{background:#fe9}.act-STP{background:#f99}\
        #result.ok{background:#dfd;padding:.5em}#result.error{background:#fdd;padding:.5em}.legend,.server{color:#555;font-size:90%}\
        input[type=number]{width:5em}
        """
}
