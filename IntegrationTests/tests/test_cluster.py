"""The lb worker over a real two-node Tomcat cluster (issue: lb/cluster), end to end.

One cluster (was1, was2; DeltaManager, channelSendOptions=6 = synchronous replication) serves
every test; each test starts its own httpd(s), so every balancer starts from a fresh shared
memory (lb_value 0). workers.properties: lb `worker1`, sticky, method Request (the default),
was1 lbfactor=3, was2 lbfactor=1.

1. stickiness by JSESSIONID cookie and by `;jsessionid=ID.wasN` in the path (no cookie);
2. lbfactor 3:1 over 400 new sessions, SwiftJK and Debian's mod_jk side by side;
3. SIGKILL of the owner while 16 keep-alive clients run: no failed request, every count goes on;
4. prefork with 12+ children: the ratio holds across children and the member's error state is
   shared (one failover, then nothing tries the dead node again);
5. both nodes down: 503 fast, one "all members failed" line per request.

A killed node is brought back with Cluster.rejoin by the next test that needs both nodes.
"""

import collections
from http.client import HTTPConnection
import os
import re
import threading
import time

from harness import (NotApplicable, REFERENCE_MODULE, Cluster, Httpd, SkipTest, http, is_reference, module_so, note,
                     procs, require_tools)

SECRET = "cluster-lb-secret-77"
LB = "worker1"
FACTORS = {"was1": 3, "was2": 1}
CLUSTER = None
HTTPDS = []


def setup_module():
    global CLUSTER
    require_tools()
    module_so()
    CLUSTER = Cluster(("was1", "was2"), secret=SECRET, channel_send_options=6)
    CLUSTER.start(timeout=120)
    note("cluster formed in %.2fs (with JSP precompile %.2fs)"
         % (CLUSTER.timings["joined"], CLUSTER.timings["start_total"]))


def teardown_module():
    for h in HTTPDS:
        h.stop()
    if CLUSTER:
        CLUSTER.stop()


# ---------------------------------------------------------------------------------- helpers

def workers_properties(factors=FACTORS):
    """lb worker1 over the cluster's nodes with the given lbfactors, sticky, method left at its
    default (Request), the cluster's secret on each member."""
    names = [n.name for n in CLUSTER]
    lines = ["worker.list=%s" % LB,
             "worker.%s.type=lb" % LB,
             "worker.%s.balance_workers=%s" % (LB, ",".join(names)),
             "worker.%s.sticky_session=1" % LB]         # method: the default, Request
    for node in CLUSTER:
        w = "worker.%s." % node.name
        lines += [w + "type=ajp13", w + "host=127.0.0.1", w + "port=%d" % node.ajp_port,
                  w + "lbfactor=%d" % factors[node.name], w + "secret=%s" % SECRET]
    return "\n".join(lines) + "\n"


def start_httpd(name, so=None, **kw):
    h = Httpd(so or module_so(), workers_properties=workers_properties(),
              jk_directives="JkMount /*.jsp %s" % LB, name=name, **kw)
    h.configtest_and_start()
    HTTPDS.append(h)
    return h


def stop_httpd(h):
    h.stop()
    if h in HTTPDS:
        HTTPDS.remove(h)


def ensure_cluster_up():
    """Restart (and rejoin) any node a previous test killed."""
    for node in CLUSTER:
        if not node.running():
            seconds = CLUSTER.rejoin(node.name, timeout=120)
            note("%s restarted and rejoined in %.2fs" % (node.name, seconds))


def counter(h, jar=None, path="/counter.jsp"):
    r = http.get(h.url(path), jar=jar, timeout=30)
    assert r.status == 200, (path, r, r.text[:300])
    return r, r.kv()


def new_sessions(h, count):
    """`count` requests without cookie (each a new TCP connection and a new session); returns
    the Counter of serving nodes and the (jar, kv) of each."""
    nodes = collections.Counter()
    made = []
    for _ in range(count):
        jar = http.CookieJar()
        _, kv = counter(h, jar)
        assert kv["count"] == "1", kv
        nodes[kv["node"]] += 1
        made.append((jar, kv))
    return nodes, made


def jk_lines(h, since, needle):
    return [line for line in h.jk_log(since).splitlines() if needle in line]


def other(name):
    return "was2" if name == "was1" else "was1"


# ---------------------------------------------------------------------------------- 1

def test_sticky_cookie_and_path_parameter():
    """20 requests with a JSESSIONID cookie count 1..20 on one node; the same with
    `;jsessionid=ID.wasN` in the path and no cookie. Each sticky request goes to a node that
    balancing alone would not choose (its lb_value is the higher one), so stickiness is what
    keeps it there; SwiftJK's debug line says so for every request."""
    ensure_cluster_up()
    h = start_httpd("httpd-sticky", log_level="info" if is_reference() else "debug")
    try:
        jar = http.CookieJar()
        nodes = []
        for i in range(1, 21):
            _, kv = counter(h, jar)
            assert kv["count"] == str(i), (i, kv)
            nodes.append(kv["node"])
        owner = nodes[0]
        assert set(nodes) == {owner}, nodes
        assert jar.route() == owner, (jar.jsessionid, owner)
        # After 20 requests the owner carries all the load: a new session would go elsewhere.
        # The path-parameter session is started on the owner too, with `;jsessionid=` naming a
        # session that does not exist yet (Tomcat creates one, with the owner's jvmRoute).
        path_nodes, session = [], None
        for i in range(1, 21):
            sid = session or "0000000000000000.%s" % owner
            r, kv = counter(h, None, "/counter.jsp;jsessionid=%s" % sid)
            assert kv["count"] == str(i), (i, sid, kv)
            if session is None:
                session = kv["session"]
                assert session.endswith("." + owner), session
            else:
                assert kv["session"] == session, (session, kv)
            path_nodes.append(kv["node"])
        assert set(path_nodes) == {owner}, path_nodes
        # Control: balancing alone (no session) picks the other node now.
        _, kv = counter(h, http.CookieJar())
        assert kv["node"] == other(owner), ("balancing would not have avoided %s" % owner, kv)
        note("cookie session %s and path session %s: 20 + 20 requests on %s; a new session "
             "goes to %s" % (jar.jsessionid, session, owner, kv["node"]))
        if not is_reference():
            log = h.jk_log()
            by_cookie = re.findall(r"GET /counter\.jsp worker=%s route=%s\(cookie\) served_by=%s why=sticky "
                                   r"attempts=1 status=200" % (LB, owner, owner), log)
            by_path = re.findall(r"GET /counter\.jsp;jsessionid=\S+ worker=%s route=%s\(path\) served_by=%s "
                                 r"why=sticky attempts=1 status=200" % (LB, owner, owner), log)
            assert len(by_cookie) == 19, (len(by_cookie), log[-3000:])
            assert len(by_path) == 20, (len(by_path), log[-3000:])
    finally:
        stop_httpd(h)


# ---------------------------------------------------------------------------------- 2

def test_lbfactor_3_to_1_same_split_as_mod_jk():
    """was1 lbfactor=3, was2 lbfactor=1: 400 new sessions split 300:100 (within 2), through the
    module under test and through Debian's mod_jk (same workers.properties, same Tomcats,
    side by side)."""
    if not os.path.isfile(REFERENCE_MODULE):
        raise SkipTest("Debian's mod_jk is not installed (%s)" % REFERENCE_MODULE)
    ensure_cluster_up()
    servers = {"module": start_httpd("httpd-ratio"),
               "mod_jk": start_httpd("httpd-ratio-modjk", so=REFERENCE_MODULE)}
    try:
        splits = {label: collections.Counter() for label in servers}
        for _ in range(400):             # interleaved: both see the same moments of the cluster
            for label, h in servers.items():
                nodes, _ = new_sessions(h, 1)
                splits[label].update(nodes)
        label_module = "mod_jk (as module under test)" if is_reference() else "SwiftJK"
        for label, split in splits.items():
            note("%-8s split was1:was2 = %d:%d" % (label_module if label == "module" else label,
                                                   split["was1"], split["was2"]))
        for label, split in splits.items():
            assert abs(split["was1"] - 300) <= 2 and abs(split["was2"] - 100) <= 2, (label, dict(split))
        assert abs(splits["module"]["was1"] - splits["mod_jk"]["was1"]) <= 2, {k: dict(v) for k, v in splits.items()}
    finally:
        for h in servers.values():
            stop_httpd(h)


# ---------------------------------------------------------------------------------- 3

class StickyClient(threading.Thread):
    """One session on one keep-alive connection: GET /counter.jsp until told to stop, no retry
    (a broken exchange or a non-200 answer is a failed request). Records (start, end, node,
    count) per answered request."""

    def __init__(self, port, jar, stop, max_requests=3000, deadline=60.0):
        super().__init__(daemon=True)
        self.port, self.jar = port, jar
        self.initial_id = jar.jsessionid
        self.stop_event, self.max_requests = stop, max_requests
        self.deadline = time.monotonic() + deadline
        self.records, self.failures = [], []
        self.connections = 0

    def run(self):
        conn = None
        try:
            while not self.stop_event.is_set() and len(self.records) < self.max_requests \
                    and time.monotonic() < self.deadline:
                if conn is None:
                    conn = HTTPConnection("127.0.0.1", self.port, timeout=30)
                    self.connections += 1
                t0 = time.monotonic()
                try:
                    conn.request("GET", "/counter.jsp", headers={"Cookie": self.jar.header()})
                    resp = conn.getresponse()
                    body = resp.read()
                except Exception as e:
                    self.failures.append((t0, "%s: %s" % (type(e).__name__, e)))
                    conn.close()
                    conn = None
                    continue
                t1 = time.monotonic()
                r = http.Response(resp.status, resp.reason, resp.getheaders(), body, t1 - t0)
                self.jar.update(r)
                if (r.header("Connection") or "").lower() == "close":
                    conn.close()
                    conn = None
                if r.status != 200:
                    self.failures.append((t0, "status %d: %s" % (r.status, r.text[:120].replace("\n", " "))))
                    continue
                kv = r.kv()
                self.records.append((t0, t1, kv.get("node"), int(kv.get("count", "0"))))
        finally:
            if conn is not None:
                conn.close()


def test_kill9_owner_under_16_sticky_clients():
    """16 threads, each with its own session on the victim and its own keep-alive connection,
    run GETs; the victim is SIGKILLed meanwhile: no request fails, every count goes on (no
    reset) on the other node. Replication is synchronous (channelSendOptions=6): an answered
    request's session change is already on the survivor.

    One allowance, for the request each client has in flight at the SIGKILL: the victim may
    have run it and replicated its increment (synchronously, before answering) and then died
    before the answer left; the balancer then replays the GET on the survivor, which counts it
    again (+2). That is the correct retry of an idempotent method, not a lost or reset session;
    it is allowed only for a request started before the kill, at most once per session, and is
    reported. Every request started after the kill must count exactly +1.

    A victim that dies after its SEND_HEADERS but before END_RESPONSE, with nothing committed to
    the client yet, is failed over like one that sent nothing (as mod_jk does): the client gets
    the survivor's 200, never a 502."""
    for node in CLUSTER:
        assert node.channel_send_options == 6, node
        xml = (node.base / "conf" / "server.xml").read_text()
        assert 'channelSendOptions="6"' in xml, xml
    ensure_cluster_up()
    h = start_httpd("httpd-kill9")
    victim, survivor = "was1", "was2"
    try:
        sessions = []
        for _ in range(200):             # 3:1 → about 21 new sessions give 16 on was1
            jar = http.CookieJar()
            _, kv = counter(h, jar)
            if kv["node"] == victim:
                sessions.append(jar)
                if len(sessions) == 16:
                    break
        assert len(sessions) == 16, len(sessions)
        stop = threading.Event()
        clients = [StickyClient(h.port, jar, stop) for jar in sessions]
        for c in clients:
            c.start()
        procs.wait_until(lambda: all(len(c.records) >= 5 for c in clients), 30,
                         what="every client to make 5 requests")
        jk_mark = h.log_size("jk.log")
        t_kill = time.monotonic()
        CLUSTER[victim].kill9()
        try:
            procs.wait_until(lambda: all(sum(1 for r in c.records if r[0] > t_kill) >= 10 for c in clients),
                             45, what="every client to make 10 requests after the kill")
        finally:
            stop.set()
            for c in clients:
                c.join(30)
        assert not any(c.is_alive() for c in clients), "a client thread hangs"
        failures = ["%s: %+.1f ms from the kill: %s" % (c.initial_id, 1000 * (t - t_kill), text)
                    for c in clients for t, text in c.failures]
        total = sum(len(c.records) for c in clients)
        spanning = [r for c in clients for r in c.records if r[0] <= t_kill < r[1]]
        around = [r[1] - r[0] for c in clients for r in c.records if r[1] >= t_kill and r[0] <= t_kill + 1.0]
        replays, bad = [], []
        for c in clients:
            previous = 1
            for i, (t0, t1, node, count) in enumerate(c.records):
                step = count - previous
                first_on_survivor = node == survivor and all(r[2] == victim for r in c.records[:i])
                if step == 2 and first_on_survivor and t0 <= t_kill:
                    replays.append(c.initial_id)
                elif step != 1:
                    context = ", ".join("%s %d [%+.1f..%+.1f ms]" % (r[2], r[3], 1000 * (r[0] - t_kill),
                                                                    1000 * (r[1] - t_kill))
                                        for r in c.records[max(0, i - 2):i + 2])
                    bad.append("%s: count %d after %d on %s, %+.1f ms from the kill (%s)"
                               % (c.initial_id, count, previous, node, 1000 * (t0 - t_kill), context))
                previous = count
            post = [r for r in c.records if r[0] > t_kill]
            if not post or any(r[2] != survivor for r in post):
                bad.append("%s: after the kill served by %s" % (c.initial_id, sorted({r[2] for r in post})))
            if c.jar.route() != survivor:
                bad.append("%s: session id now %s" % (c.initial_id, c.jar.jsessionid))
        note("%d requests by 16 clients (%d connections), %d in flight at the SIGKILL; slowest request "
             "within 1 s of the kill %.1f ms; failed requests: %d; in-flight GETs replayed after the "
             "victim had replicated them (+2): %d" % (total, sum(c.connections for c in clients),
                                                      len(spanning), 1000 * max(around or [0]),
                                                      len(failures), len(replays)))
        if not is_reference():
            err = jk_lines(h, jk_mark, "member %s (127.0.0.1:%d) of %s ERR:" % (victim, CLUSTER[victim].ajp_port, LB))
            note("jk log: %s" % (err[0].split("] ", 3)[-1] if err else "no ERR line"))
            for line in jk_lines(h, jk_mark, "broke off"):
                note("jk log: %s" % line.split("] ", 3)[-1])
        assert not failures, "failed requests:\n" + "\n".join(failures[:20])
        assert not bad, "\n".join(bad[:20])
        if not is_reference():
            assert len(err) == 1, err
    finally:
        stop_httpd(h)


# ---------------------------------------------------------------------------------- 4

def fresh_connection_requests(h, jars, threads=4):
    """One GET /counter.jsp per jar (None = new session), each on a new TCP connection, from
    `threads` threads. Returns [(jar, kv)] in completion order; raises on any non-200."""
    results, errors = [], []
    lock = threading.Lock()
    work = list(enumerate(jars))

    def worker():
        while True:
            with lock:
                if not work:
                    return
                _, jar = work.pop(0)
            jar = jar if jar is not None else http.CookieJar()
            try:
                r = http.get(h.url("/counter.jsp"), jar=jar, timeout=30)
                with lock:
                    if r.status == 200:
                        results.append((jar, r.kv()))
                    else:
                        errors.append("status %d: %s" % (r.status, r.text[:200]))
            except Exception as e:
                with lock:
                    errors.append("%s: %s" % (type(e).__name__, e))

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(120)
    assert not any(t.is_alive() for t in pool), "request threads hang"
    assert not errors, errors[:10]
    return results


def served_pids(h, since):
    entries = [e for e in h.access_entries(since) if "status" in e and "counter.jsp" in e["request"]]
    return collections.Counter(e["pid"] for e in entries), entries


def test_prefork_children_share_ratio_and_error_state():
    """prefork, 12+ children. 400 new sessions on new connections: 300:100 (within 2) although
    many children served them (>= 8 PIDs in the access log), since lb_value is shared. Then
    was1 is SIGKILLed: ONE request (sticky to was1) fails over; 200 more on fresh connections
    (new sessions and sessions of was1) all go to was2, from many children, and nothing tries
    was1 again: the jk log has exactly one ERR line and one failover line for was1."""
    ensure_cluster_up()
    h = start_httpd("httpd-prefork", mpm="prefork",
                    mpm_settings={"StartServers": 12, "MinSpareServers": 12, "MaxSpareServers": 24,
                                  "ServerLimit": 24, "MaxRequestWorkers": 24})
    try:
        procs.wait_until(lambda: len(h.children()) >= 12, 20, what="12 prefork children")
        note("prefork children at start: %d" % len(h.children()))
        results = fresh_connection_requests(h, [None] * 400)
        split = collections.Counter(kv["node"] for _, kv in results)
        pids, entries = served_pids(h, 0)
        note("400 new sessions: was1:was2 = %d:%d, served by %d children (requests per child %s)"
             % (split["was1"], split["was2"], len(pids), sorted(pids.values(), reverse=True)))
        assert all(kv["count"] == "1" for _, kv in results)
        assert abs(split["was1"] - 300) <= 2 and abs(split["was2"] - 100) <= 2, dict(split)
        assert len(pids) >= 8, pids

        victim, survivor = "was1", "was2"
        port = CLUSTER[victim].ajp_port
        victim_jars = [jar for jar, kv in results if kv["node"] == victim]
        survivor_jars = [jar for jar, kv in results if kv["node"] == survivor]
        jk_mark, access_mark = h.log_size("jk.log"), h.log_size("access.log")
        CLUSTER[victim].kill9()
        # The one request that finds out.
        jar = victim_jars[0]
        r, kv = counter(h, jar)
        assert (kv["node"], kv["count"]) == (survivor, "2"), kv
        note("failover request: %.1f ms, served by %s with count %s" % (1000 * r.elapsed, kv["node"], kv["count"]))
        # Then many fresh connections, spread over the children: new sessions, sessions of the
        # dead node (its route in the cookie), sessions of the survivor.
        jars = [None] * 100 + victim_jars[1:61] + survivor_jars[:40]
        after = fresh_connection_requests(h, jars)
        assert len(after) == 200, len(after)
        wrong = [kv for _, kv in after if kv["node"] != survivor]
        assert not wrong, wrong[:5]
        assert sorted(int(kv["count"]) for _, kv in after if kv["count"] != "1") == [2] * 100, \
            "a session lost or skipped a count"
        pids_after, _ = served_pids(h, access_mark)
        note("after the kill: 1 + 200 requests, all on %s, served by %d children" % (survivor, len(pids_after)))
        assert len(pids_after) >= 8, pids_after
        if is_reference():
            note("mod_jk: jk log checks skipped (SwiftJK's log lines)")
            return
        time.sleep(0.3)                  # let any late line (another child) reach the file
        log = h.jk_log(jk_mark)
        err = [l for l in log.splitlines() if "member %s (127.0.0.1:%d) of %s ERR:" % (victim, port, LB) in l]
        tried = [l for l in log.splitlines() if "failed on %s (127.0.0.1:%d)" % (victim, port) in l]
        note("jk log after the kill: %d ERR line, %d failover line: %s"
             % (len(err), len(tried), err[0].split("] ", 3)[-1] if err else "-"))
        assert len(err) == 1, log[-3000:]
        assert len(tried) == 1, log[-3000:]
        assert "all members failed" not in log, log[-3000:]
    finally:
        stop_httpd(h)


# ---------------------------------------------------------------------------------- 5

def test_both_nodes_down_503_fast_one_line():
    """Both Tomcats dead: 503; the second request's 503 comes in under 50 ms, and the jk log has
    exactly one line for it: `lb worker1: all members failed for GET <uri> (tried ...) → 503`."""
    if is_reference():
        raise NotApplicable("SwiftJK contract (mod_jk answers after 0.3-0.5 s, docs/modjk-behaviour.md §11.2)")
    ensure_cluster_up()
    h = start_httpd("httpd-down")
    try:
        for _ in range(4):               # both members in use, with pooled connections
            new_sessions(h, 1)
        for node in CLUSTER:
            node.kill9()
        first = http.get(h.url("/both-down/first.jsp"), timeout=30)
        mark = h.log_size("jk.log")
        second = http.get(h.url("/both-down/second.jsp"), timeout=30)
        note("both down: first request %d in %.1f ms, second %d in %.1f ms"
             % (first.status, 1000 * first.elapsed, second.status, 1000 * second.elapsed))
        assert first.status == 503, first
        assert second.status == 503, second
        assert second.elapsed < 0.050, "second request took %.1f ms" % (1000 * second.elapsed)
        pattern = re.compile(r"\[error\] lb %s: all members failed for GET /both-down/second\.jsp "
                             r"\(tried (was1, was2|was2, was1); was1 ERR, was2 ERR\) → 503$" % LB)
        lines = procs.wait_until(lambda: jk_lines(h, mark, "all members failed"), 5,
                                 what="the jk log line")
        time.sleep(0.2)
        lines = jk_lines(h, mark, "all members failed")
        note("jk log: %s" % lines[0].split("] ", 3)[-1])
        assert len(lines) == 1, lines
        assert pattern.search(lines[0]), lines[0]
        assert len(jk_lines(h, 0, "all members failed for GET /both-down/first.jsp")) == 1
    finally:
        stop_httpd(h)
