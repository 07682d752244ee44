"""The classic deployment's swapped hosts (classic-deployment.md): two clustered Tomcats with
jvmRoute was1 and was2, and a workers.properties whose member `was1` points at the Tomcat whose
jvmRoute is was2 and vice versa.

  * New sessions through the lb make each member's Tomcat set a cookie naming the *other*
    member: the jk log gets the jvmRoute-mismatch warning (RouteMismatch.swift) exactly once
    per member over all of httpd's children (4 here; the count lives in the shared memory and
    the warning repeats only at the 10th, 100th ... sighting), saying the hosts/ports look
    swapped; nothing else is written at info or above.
  * One session followed over several requests hops between the nodes on every request (the
    damage mod_jk leaves silent); no further warning lines, the shared count keeps rising
    (status worker route_mismatches=).
  * `swiftjk check` on that httpd.conf: the swap cannot be seen statically (the checker does
    not know the Tomcats' jvmRoutes); it prints, per member, the address and the jvmRoute the
    Tomcat there must have, and what to do when the mismatch warning shows up.
"""

import json
import os
import pathlib
import re
import subprocess

from harness import (NotApplicable, Cluster, Httpd, SkipTest, ajp13_worker_lines, http, is_reference, module_so, note,
                     require_tools)
from harness.jklog import parse

SECRET = "route-mismatch-secret-3d8e"
SWIFTJK = os.environ.get("SWIFTJK_BIN") or str(pathlib.Path(__file__).resolve().parents[2] / "swiftjk")

CLUSTER = H = None
SINCE = 0


def setup_module():
    global CLUSTER, H, SINCE
    require_tools()
    so = module_so()
    if is_reference():
        raise NotApplicable("mod_jk does not notice the swap (that is the point of the classic deployment note)")
    CLUSTER = Cluster(("was1", "was2"), secret=SECRET, channel_send_options=6)
    CLUSTER.start(timeout=90)
    note("cluster formed in %.1fs" % CLUSTER.timings["joined"])
    lines = ["worker.list=worker1,jkstatus",
             "worker.worker1.type=lb",
             "worker.worker1.balance_workers=was1,was2",
             "worker.worker1.sticky_session=1"]
    # The swap: member was1 -> the Tomcat with jvmRoute was2, member was2 -> jvmRoute was1.
    lines += ajp13_worker_lines(CLUSTER["was2"], name="was1")
    lines += ajp13_worker_lines(CLUSTER["was1"], name="was2")
    lines.append("worker.jkstatus.type=status")
    H = Httpd(so, mpm="event", workers_properties="\n".join(lines) + "\n",
              jk_directives="JkMount /*.jsp worker1\nJkMount /jkstatus jkstatus", name="httpd-swapped",
              mpm_settings={"ServerLimit": 4, "StartServers": 4, "ThreadsPerChild": 5, "ThreadLimit": 5,
                            "MinSpareThreads": 20, "MaxSpareThreads": 20, "MaxRequestWorkers": 20})
    H.configtest_and_start()
    SINCE = H.log_size("jk.log")


def teardown_module():
    if H:
        H.stop()
    if CLUSTER:
        CLUSTER.stop()


def info_lines():
    lines, bad = parse(H.jk_log(SINCE))
    assert not bad, bad
    return [l for l in lines if l.level in ("info", "warn", "error", "emerg")]


def status_members():
    """Each member's status as one `key=value …` line, from the status worker's json (SwiftJK's
    route_mismatches count is in json, not in mod_jk's txt keys)."""
    status = json.loads(http.get("http://127.0.0.1:%d/jkstatus?mime=json" % H.port).text)
    return {m["name"]: " ".join("%s=%s" % (k, v) for k, v in m.items())
            for lb in status["balancers"] for m in lb["members"]}


def counter(jar):
    r = http.get("http://127.0.0.1:%d/counter.jsp" % H.port, jar=jar, timeout=30)
    assert r.status == 200, (r, r.text)
    return r.kv()


def test_new_sessions_warn_once_per_member():
    was1, was2 = CLUSTER["was1"], CLUSTER["was2"]
    served = []
    for _ in range(6):
        jar = http.CookieJar()
        kv = counter(jar)
        served.append((kv["node"], jar.route()))
    note("6 new sessions: (node, cookie route) = %s" % served)
    assert {node for node, _ in served} == {"was1", "was2"}, "the lb should have used both members: %s" % served
    assert all(node == route for node, route in served), served   # Tomcat names itself in the cookie
    lines = info_lines()
    for l in lines:
        note("  [%s] %s" % (l.level, l.msg))
    want = {
        "was1": r"jvmRoute mismatch: member was1 \(127\.0\.0\.1:%d\) of worker1 has route 'was1', but the Tomcat "
                r"there set a session cookie with route 'was2' \(the route of member was2\): the hosts/ports of "
                r"was1 and was2 look swapped in workers\.properties; sessions will not stick \(seen 1 time\)" % was2.ajp_port,
        "was2": r"jvmRoute mismatch: member was2 \(127\.0\.0\.1:%d\) of worker1 has route 'was2', but the Tomcat "
                r"there set a session cookie with route 'was1' \(the route of member was1\): the hosts/ports of "
                r"was2 and was1 look swapped in workers\.properties; sessions will not stick \(seen 1 time\)" % was1.ajp_port,
    }
    assert len(lines) == 2, "expected exactly the two mismatch warnings at info+, got:\n%s" % "\n".join(l.raw for l in lines)
    for member, rx in want.items():
        hits = [l for l in lines if l.level == "warn" and re.fullmatch(rx, l.msg)]
        assert len(hits) == 1, "member %s: expected one line matching\n  %s\ngot:\n%s" % (
            member, rx, "\n".join(l.raw for l in lines))
    members = status_members()
    note("status: %s" % list(members.values()))
    counts = {m: int(re.search(r"route_mismatches=(\d+)", line).group(1)) for m, line in members.items()}
    assert sum(counts.values()) == 6 and all(counts.values()), counts


def test_one_session_hops_on_every_request():
    jar = http.CookieJar()
    before = {m: int(re.search(r"route_mismatches=(\d+)", line).group(1)) for m, line in status_members().items()}
    hops = []
    for i in range(1, 7):
        kv = counter(jar)
        hops.append((kv["count"], kv["node"], jar.jsessionid.rsplit(".", 1)[1]))
        assert kv["count"] == str(i), (i, kv)        # replication hides the damage ...
    note("one session, 6 requests: (count, node, route of the new cookie) = %s" % hops)
    nodes = [h[1] for h in hops]
    # ... but every request lands on the other node, and the session id is rewritten each time.
    assert all(a != b for a, b in zip(nodes, nodes[1:])), nodes
    lines = info_lines()
    assert len(lines) == 2, "no new line expected after the first warning per member:\n%s" % "\n".join(l.raw for l in lines)
    after = {m: int(re.search(r"route_mismatches=(\d+)", line).group(1)) for m, line in status_members().items()}
    note("route_mismatches before %s, after %s" % (before, after))
    assert sum(after.values()) - sum(before.values()) == 6, (before, after)


def test_swiftjk_check_explains_the_fix():
    if not os.path.isfile(SWIFTJK):
        raise SkipTest("swiftjk checker not built: %s" % SWIFTJK)
    was1, was2 = CLUSTER["was1"], CLUSTER["was2"]
    proc = subprocess.run([SWIFTJK, "check", str(H.conf_file)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=30)
    out = proc.stdout.decode(errors="replace")
    note("swiftjk check %s -> rc=%d" % (H.conf_file.name, proc.returncode))
    for line in out.splitlines():
        note("  | " + line)
    assert proc.returncode == 0, out
    expected = "\n".join([
        "Sticky routes of worker1: a session id ending in .<route> goes to that member, so each Tomcat's",
        "  <Engine jvmRoute=\"…\"> must equal the route of the member that points at it:",
        "    127.0.0.1:%d must have jvmRoute=\"was1\"  (member was1)" % was2.ajp_port,
        "    127.0.0.1:%d must have jvmRoute=\"was2\"  (member was2)" % was1.ajp_port,
        "  If SwiftJK logs \"jvmRoute mismatch\" for a member, the Tomcat at that address has another",
        "  member's jvmRoute: swap the host/port of the two members (or the two jvmRoutes).",
    ])
    assert expected in out, "expected block not in the output:\n" + expected
    # Statically the swap is invisible: no diagnostic names it.
    assert out.rstrip().endswith("0 errors, 0 warnings"), out[-300:]
    assert "mismatch:" not in out and "look swapped" not in out
    assert SECRET not in out
    # What the check demands is indeed false on the running cluster: the Tomcat at the address
    # of member was1 has jvmRoute was2.
    assert was2.jvm_route == "was2" and "jvmRoute=\"was2\"" in was2.server_xml()
