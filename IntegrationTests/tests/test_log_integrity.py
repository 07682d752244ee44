"""The jk log under load stays whole: httpd event MPM with 8 children x 25 threads, JkLogLevel
debug, 10 rounds of 200 simultaneous requests (one fresh client connection each, started
together with a barrier; a quarter of the Tomcat ones with a query of up to 4 KB, so
some lines are longer than a page) to a real Tomcat JSP (direct ajp13 worker and an lb) and to failing
workers (connection refused, garbage answer).

Then EVERY line of the jk log is parsed:
  * it has mod_jk's prefix `[%a %b %d %H:%M:%S.%Q %Y] [pid:tid] [level] ` exactly once;
  * its message has one of the known shapes (start-up report, one debug line per request,
    the failure lines), anchored at both ends: a torn or interleaved line cannot match;
  * the file ends with a newline, holds no NUL and is valid UTF-8;
  * every request sent has exactly one debug line (each request carries a unique ?n=K), whose
    status is the one its client got, and each failing request exactly one failure line.
"""

import collections
import re
import threading
import time

from harness import NotApplicable, Tomcat, is_reference, load, module_so, note, ports, require_tools
from harness.fakeajp import FakeAJP
from harness.jklog import DEFAULT_STAMP_RE, PID_LEVEL_RE, DefaultStampHttpd, parse

SECRET = "integrity-secret-5e9b1c"
CHILDREN, THREADS = 8, 25
ROUNDS, PER_ROUND = 10, 200
# Per round: which kind of request, how many.
MIX = (("tc", 130), ("lb", 50), ("refused", 10), ("garbage", 10))
PATHS = {"tc": "/hello.jsp", "lb": "/status.jsp", "refused": "/refused/x.jsp", "garbage": "/garbage/x.jsp"}
EXPECTED_STATUS = {"tc": 200, "lb": 200, "refused": 503, "garbage": 502}

H = TC = GARBAGE = None
REFUSED_PORT = None


def setup_module():
    global H, TC, GARBAGE, REFUSED_PORT
    require_tools()
    so = module_so()
    if is_reference():
        raise NotApplicable("the line shapes are SwiftJK's (mod_jk writes ~100 lines per request at debug)")
    assert sum(n for _, n in MIX) == PER_ROUND
    TC = Tomcat("integrity", "ti1", secret=SECRET)
    TC.start()
    GARBAGE = FakeAJP("garbage", hold=1.0).start()
    REFUSED_PORT = ports.free_port()
    TC.wait_ready(90)
    TC.precompile(["hello.jsp", "status.jsp"])
    w = lambda name, port, extra=(): ["worker.%s.type=ajp13" % name, "worker.%s.host=127.0.0.1" % name,
                                      "worker.%s.port=%d" % (name, port)] + ["worker.%s.%s" % (name, e) for e in extra]
    lines = ["worker.list=w_tc,lbt,f_refused,f_garbage"]
    lines += w("w_tc", TC.ajp_port, ["secret=%s" % SECRET])
    lines += w("ti1", TC.ajp_port, ["secret=%s" % SECRET])
    lines += ["worker.lbt.type=lb", "worker.lbt.balance_workers=ti1"]
    lines += w("f_refused", REFUSED_PORT, ["retry_interval=10"])
    lines += w("f_garbage", GARBAGE.port, ["retry_interval=10"])
    mounts = "\n".join(["JkMount /hello.jsp w_tc", "JkMount /status.jsp lbt",
                        "JkMount /refused/* f_refused", "JkMount /garbage/* f_garbage"])
    H = DefaultStampHttpd(so, mpm="event", workers_properties="\n".join(lines) + "\n", jk_directives=mounts,
                          log_level="debug", name="httpd-integrity",
                          mpm_settings={"ServerLimit": CHILDREN, "StartServers": CHILDREN,
                                        "ThreadsPerChild": THREADS, "ThreadLimit": THREADS,
                                        "MinSpareThreads": THREADS, "MaxSpareThreads": CHILDREN * THREADS,
                                        "MaxRequestWorkers": CHILDREN * THREADS})
    H.configtest_and_start()
    procs_wait = time.monotonic() + 10
    while len(H.children()) < CHILDREN and time.monotonic() < procs_wait:
        time.sleep(0.1)


def teardown_module():
    if H:
        H.stop()
    if GARBAGE:
        GARBAGE.stop()
    if TC:
        TC.stop()


# The message shapes, anchored. Ports are known; everything else that varies is a pattern.
def shapes():
    tc, g, r = TC.ajp_port, GARBAGE.port, REFUSED_PORT
    debug_request = (r"GET (?P<path>/[\w./]+)\?n=(?P<n>\d+)(?:&pad=x+)? worker=(?P<worker>w_tc|lbt|f_refused|f_garbage)"
                     r"(?: route=\S+\(\w+\))?(?: served_by=ti1)?(?: why=[^=]+)? attempts=(?P<attempts>\d+)"
                     r"(?: \[[^\]]*\])? status=(?P<status>\d+) in=\d+ out=\d+ time=\d+\.\dms")
    return {
        "request": re.compile(debug_request),
        "refused": re.compile(r"worker f_refused \(127\.0\.0\.1:%d\): connect refused \(nothing listens on the port\) → 503" % r),
        "garbage": re.compile(r"worker f_garbage \(127\.0\.0\.1:%d\): waiting for the reply: protocol error: packet "
                              r"does not start with AB \(got 0x0001\) → 502" % g),
        "startup": re.compile(r"SwiftJK \d+\.\d+\.\d+\S* starting: MPM event, %d threads per child, \d+ workers, shared memory /\S+" % THREADS),
        "config": re.compile(r"config: \S+:\d+: (?:warning|info): [^\[\]]+"),
        "worker": re.compile(r"worker (?:w_tc|ti1): ajp13 127\.0\.0\.1:%d, pool \d+ per child, ping_mode \w+, secret set(?:; SwiftJK defaults \(mod_jk has none\): [\w=. ]+)?" % tc
                             + r"|worker f_refused: ajp13 127\.0\.0\.1:%d, .*secret none.*|worker f_garbage: ajp13 127\.0\.0\.1:%d, .*secret none.*" % (r, g)
                             + r"|worker lbt: lb over ti1\(route ti1, lbfactor 1\), method Request, sticky_session true, sticky_session_force false"),
        "notes": re.compile(r"notes: JK_WORKER_NAME set; JK_WORKER_TYPE/ROUTE, JK_REQUEST_DURATION "
                            r"(?:set \(LogFormat at \S+:\d+\)|not set \(no directive names them\)); JK_LB_FIRST_\*/JK_LB_LAST_\* "
                            r"(?:set \(LogFormat at \S+:\d+\)|not set \(no directive names them\))"),
        "mounts": re.compile(r"mounts of main server: (?:/\S+=\w+ ?)+"),
        "member state": re.compile(r"member ti1 \(127\.0\.0\.1:%d\) of lbt [\w/]+ → [\w/]+" % tc),
        # The harness's readiness probe asks for /index.html, which no mount forwards.
        "not forwarded": re.compile(r"'/[\w./]*': no JkMount forwards it \(none matches, or a JkUnMount excludes it\); left to httpd"),
    }


def fire_round(rnd, results):
    """PER_ROUND requests at once (threads wait on a barrier), one fresh connection each."""
    kinds = [k for k, n in MIX for _ in range(n)]
    barrier = threading.Barrier(len(kinds), timeout=30)

    def one(i, kind):
        n = rnd * PER_ROUND + i
        path = "%s?n=%d" % (PATHS[kind], n)
        if kind == "tc" and i % 4 == 0:
            path += "&pad=" + "x" * (n * 37 % 4000 + 1)     # lines of up to ~4.2 KB
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        client = load.KeepAlive(H.port, timeout=30)
        try:
            resp = client.request("GET", path)
            results[n] = (kind, resp.outcome)
        except Exception as e:
            results[n] = (kind, "no-response:%s" % type(e).__name__)
        finally:
            client.close()

    threads = [threading.Thread(target=one, args=(i, k), daemon=True) for i, k in enumerate(kinds)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    for t in threads:
        t.join(max(0.1, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "round %d: clients still running after 60 s" % rnd


def test_log_whole_under_load():
    kids = H.children()
    assert len(kids) == CHILDREN, "expected %d httpd children, found %d" % (CHILDREN, len(kids))
    results = {}
    t0 = time.monotonic()
    for rnd in range(ROUNDS):
        fire_round(rnd, results)
    elapsed = time.monotonic() - t0
    sent = ROUNDS * PER_ROUND
    assert len(results) == sent, "%d of %d requests got a result" % (len(results), sent)
    outcomes = collections.Counter((k, o) for k, o in results.values())
    note("%d requests in %.1fs: %s" % (sent, elapsed, dict(outcomes)))
    wrong = {n: ko for n, ko in results.items() if ko[1] != EXPECTED_STATUS[ko[0]]}
    assert not wrong, "unexpected outcomes: %s" % dict(list(wrong.items())[:10])

    # Every request's debug line is written before its response ends; wait for the file to
    # stop growing anyway (bounded).
    last, deadline = -1, time.monotonic() + 5
    while time.monotonic() < deadline:
        size = H.log_size("jk.log")
        if size == last:
            break
        last = size
        time.sleep(0.2)
    raw = (H.root / "logs" / "jk.log").read_bytes()
    assert raw.endswith(b"\n"), "jk.log does not end with a newline: %r" % raw[-200:]
    assert b"\x00" not in raw, "NUL byte in jk.log at %d" % raw.index(b"\x00")
    text = raw.decode("utf-8")          # raises on a torn multi-byte character
    lines, bad = parse(text, DEFAULT_STAMP_RE)
    assert not bad, "%d line(s) without the mod_jk prefix, e.g.:\n%s" % (len(bad), "\n".join(bad[:5]))
    assert len(lines) == text.count("\n")
    one_prefix = re.compile(PID_LEVEL_RE)
    stamp_anywhere = re.compile(DEFAULT_STAMP_RE[:-1])
    kinds = collections.Counter()
    unknown, torn = [], []
    per_n = collections.defaultdict(list)
    sh = shapes()
    for l in lines:
        if len(one_prefix.findall(l.raw)) != 1 or stamp_anywhere.search(l.msg):
            torn.append(l.raw)
            continue
        for kind, rx in sh.items():
            m = rx.fullmatch(l.msg)
            if m:
                kinds[(kind, l.level)] += 1
                if kind == "request":
                    per_n[int(m.group("n"))].append((m.group("path"), m.group("worker"), int(m.group("status")), l))
                break
        else:
            unknown.append(l.raw)
    assert not torn, "%d line(s) with a second prefix or stamp inside (interleaved):\n%s" % (len(torn), "\n".join(torn[:5]))
    assert not unknown, "%d line(s) of no known shape (torn?), e.g.:\n%s" % (len(unknown), "\n".join(unknown[:5]))

    # One debug line per request sent, for the right request, with the status its client got.
    assert kinds[("request", "debug")] == sent, "%d per-request debug lines for %d requests" % (
        kinds[("request", "debug")], sent)
    assert set(per_n) == set(results), "requests without a debug line: %s; debug lines for unknown requests: %s" % (
        sorted(set(results) - set(per_n))[:10], sorted(set(per_n) - set(results))[:10])
    dup = {n: v for n, v in per_n.items() if len(v) != 1}
    assert not dup, "requests with more than one debug line: %s" % list(dup.items())[:5]
    worker_of = {"tc": "w_tc", "lb": "lbt", "refused": "f_refused", "garbage": "f_garbage"}
    mismatched = [(n, results[n], v[0][:3]) for n, v in per_n.items()
                  if v[0][0] != PATHS[results[n][0]] or v[0][1] != worker_of[results[n][0]] or v[0][2] != results[n][1]]
    assert not mismatched, "debug lines that do not match their request: %s" % mismatched[:5]
    want = {"refused": ROUNDS * dict(MIX)["refused"], "garbage": ROUNDS * dict(MIX)["garbage"]}
    assert kinds[("refused", "error")] == want["refused"], (kinds, want)
    assert kinds[("garbage", "error")] == want["garbage"], (kinds, want)

    pids = {l.pid for l in lines}
    tids = {l.tid for l in lines}
    pairs = {(l.pid, l.tid) for l in lines}
    req_pids = {v[0][3].pid for v in per_n.values()}
    req_pairs = {(v[0][3].pid, v[0][3].tid) for v in per_n.values()}
    note("jk.log: %d lines, %d bytes, longest line %d bytes; by shape/level: %s" % (
        len(lines), len(raw), max(len(l.raw.encode()) + 1 for l in lines),
                                                            {"%s/%s" % k: v for k, v in sorted(kinds.items())}))
    note("distinct pids %d, distinct tids %d, distinct pid:tid pairs %d; request lines from %d pids "
         "(children %s) and %d pid:tid pairs" % (len(pids), len(tids), len(pairs), len(req_pids),
                                                  sorted(kids), len(req_pairs)))
    assert len(req_pids) >= 2, "all requests were logged by one child: %s" % req_pids
    assert req_pids <= set(kids) | set(H.children()), (req_pids, kids, H.children())
