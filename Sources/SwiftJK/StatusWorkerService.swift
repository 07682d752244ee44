import JKBalancer
import JKConfig

/// The status worker: a read-only text view of workers and members (mod_jk's `mime=txt` shape).
enum StatusWorkerService {
    static func serve(plan: StatusPlan, runtime: Runtime, facts: RequestFacts, httpd: HttpdClient) -> ServiceReport {
        var report = ServiceReport()
        let configuration = runtime.configuration
        var text = "SwiftJK status (worker \(plan.name))\n"
        for candidate in configuration.plans {
            switch candidate {
            case .lb(let lb):
                let s = lb.settings
                text += "Balancer Worker: name=\(lb.name) type=lb sticky_session=\(s.stickySession ? "True" : "False") sticky_session_force=\(s.stickySessionForce ? "True" : "False") retries=\(s.retries) recover_time=\(s.recoverTime.value / 1000) method=\(s.method.rawValue) member_count=\(lb.balancer.members.count)\n"
                let records = configuration.shared?.snapshot(lb.sharedSlot)?.1 ?? []
                for (index, member) in lb.balancer.members.enumerated() {
                    let record = index < records.count ? records[index] : MemberRuntime()
                    text += "Member: name=\(member.name) route=\"\(member.route)\" activation=\(record.activation.code) state=\(record.state.label) lbfactor=\(record.lbFactor) lbmult=\(record.lbMult) lbvalue=\(record.lbValue) elected=\(record.elected) sessions=\(record.sessions) errors=\(record.errors) client_errors=\(record.clientErrors) busy=\(record.busy) max_busy=\(record.maxBusy) route_mismatches=\(record.routeMismatches)\n"
                }
            case .ajp(let ajp):
                let connections = runtime.client(configuration.planIndex[ajp.name] ?? -1)?.connectionCount ?? 0
                text += "AJP Worker: name=\(ajp.name) type=ajp13 host=\(ajp.host) port=\(ajp.port) connections_in_this_child=\(connections)\n"
            case .status:
                continue
            }
        }
        let bytes = Array(text.utf8)
        let ok = bytes.withUnsafeBytes { buffer -> Bool in
            (try? httpd.sendSimpleResponse(status: 200, contentType: "text/plain; charset=utf-8", body: buffer)) != nil
        }
        report.httpStatus = ok ? 0 : 500
        report.backendStatus = 200
        report.bytesOut = Int64(bytes.count)
        return report
    }
}
