"""A broken AJP backend, scripted (harness/fakeajp.py), behind httpd + the module, event and
prefork MPM (issue 4: the complete AJP13 client).

For every fault:
  * one request: the status the client gets (or, when the fault comes after the response
    started, that the client can tell the response is incomplete), exactly one jk-log line at
    error/warn/info naming the backend (127.0.0.1:port) and the cause;
  * 1,000 requests over keep-alive clients: every outcome the same, no crash ("exit signal"
    in error.log, a child gone), the descriptor count of every httpd child unchanged (+-2),
    and no AJP connections piling up at the backend.

EXPECTED is SwiftJK's contract. Against Debian's mod_jk (the reference) differences are
printed as notes, not failures; crashes and descriptor leaks fail for both.

Timeouts are shortened on the slow cases so 1,000 requests stay fast: `never` has
reply_timeout=50 ms, `no_cpong` ping_timeout=50 ms (ping_mode CI, SwiftJK's default mode);
every fake worker has retry_interval=10 ms (default 100) so the retry path stays in play.
"""

import os
import re
import time

from harness import Httpd, is_reference, load, module_so, note, ports, procs, require_tools
from harness.fakeajp import BEHAVIOURS, PARTIAL_BODY, FakeAJP

REQUESTS = int(os.environ.get("FAULT_REQUESTS", "1000"))
CASE_DEADLINE = 45.0          # seconds for the 1,000 requests of one case
FD_SLACK = 2

# What the client must get. An int: that complete status. "truncated:200": the 200 headers
# went out, then the backend broke; the client must be able to tell (chunked body without its
# last chunk, or the connection closed short of Content-Length) and must not get an error
# page glued to the partial body. A set: any of these.
EXPECTED = {
    "ok": 200,
    "garbage": 502,                       # not AJP
    "half": 502,                          # a packet cut in the middle: invalid reply
    "close": 502,                         # closed after the request, no reply (mod_jk: 502)
    "never": 504,                         # reply_timeout
    "no_cpong": 504,                      # no CPONG in ping_timeout: the backend did not answer in time
    "big_chunk": 502,                     # chunk length > packet, before any header
    "big_chunk_after_headers": "truncated:200",
    # The backend dies in the middle of a download (Content-Length 100000, 30 bytes sent):
    # a 502 if nothing reached the client yet, else a visibly short body. Never a response
    # that looks complete.
    "cut_body": {502, "truncated:200"},
    "bad_magic": 502,
    "http": 502,                          # the port speaks HTTP
    "reuse0": 200,                        # fine, but the connection must not be reused
    # The whole body (its Content-Length) arrived, then the backend closed before END_RESPONSE:
    # the client has a complete response (SwiftJK flushes it when the last byte is written).
    "no_end": 200,
    # Nothing of the first SEND_HEADERS reached the client when the second one arrives: a 502
    # is right; a visibly truncated 200 is tolerable. A complete-looking 200 is not.
    "second_headers": {502, "truncated:200"},
    "second_headers_after_body": "truncated:200",
    "refused": 503,                       # nothing listens
}

# A word the single jk-log line must contain (besides 127.0.0.1:<port>).
CAUSE = {
    "garbage": "AB", "half": "closed", "close": "closed", "never": "reply",
    "no_cpong": "CPONG", "big_chunk": "SEND_BODY_CHUNK", "big_chunk_after_headers": "SEND_BODY_CHUNK",
    "cut_body": "closed", "bad_magic": "0x1234", "http": "HTTP", "second_headers": "SEND_HEADERS",
    "second_headers_after_body": "SEND_HEADERS", "refused": "refused", "no_end": "END_RESPONSE",
}

SLOW = {"never", "no_cpong"}          # ~50-110 ms per request: more clients in parallel
CASES = list(BEHAVIOURS) + ["refused"]
MPMS = ("event", "prefork")

FAKES = {}
HTTPDS = {}
REFUSED_PORT = None
LEVEL = re.compile(r"\] \[(trace|debug|info|warn|error|emerg)\] ")


def worker_lines(case, port):
    w = "worker.f_%s." % case
    lines = [w + "type=ajp13", w + "host=127.0.0.1", w + "port=%d" % port, w + "retry_interval=10"]
    if case == "never":
        lines.append(w + "reply_timeout=50")
    if case == "no_cpong":
        lines += [w + "ping_mode=CI", w + "ping_timeout=50"]
    return lines


def setup_module():
    global REFUSED_PORT
    require_tools()
    so = module_so()
    for case in BEHAVIOURS:
        FAKES[case] = FakeAJP(case, hold=20.0).start()
    REFUSED_PORT = ports.free_port()       # handed out once, never bound: connect is refused
    lines = ["worker.list=" + ",".join("f_" + c for c in CASES)]
    for case in CASES:
        lines += worker_lines(case, REFUSED_PORT if case == "refused" else FAKES[case].port)
    mounts = "\n".join("JkMount /%s/* f_%s" % (c, c) for c in CASES)
    for mpm in MPMS:
        h = Httpd(so, mpm=mpm, workers_properties="\n".join(lines) + "\n", jk_directives=mounts,
                  name="httpd-" + mpm, mpm_settings={"MaxRequestWorkers": 64, "MaxSpareServers": 64} if mpm == "prefork" else None)
        h.configtest_and_start()
        HTTPDS[mpm] = h


def teardown_module():
    for h in HTTPDS.values():
        h.stop()
    for f in FAKES.values():
        f.stop()


# ------------------------------------------------------------------ helpers

def backend_port(case):
    return REFUSED_PORT if case == "refused" else FAKES[case].port


def matches(outcome, expected):
    return outcome in expected if isinstance(expected, set) else outcome == expected


def check(cond, message):
    """Assert for SwiftJK; for the reference module print the difference instead."""
    if cond:
        return
    if is_reference():
        note("reference differs: " + message.splitlines()[0])
        return
    raise AssertionError(message)


def level_lines(text, levels=("info", "warn", "error", "emerg")):
    return [l for l in text.splitlines() if (m := LEVEL.search(l)) and m.group(1) in levels]


def crash_lines(h, since=0):
    return [l for l in h.error_log(since).splitlines()
            if "exit signal" in l or "AH00052" in l or "Segmentation" in l]


def fd_snapshot(h):
    """{child pid: (open fds, of which pooled AJP connections to the fakes)}, after the counts
    have settled: no child holds a client connection any more (the clients have all closed, but
    event MPM closes a connection it ended with a lingering close in the background, which takes
    longer on a slow run) and the counts are the same twice in a row, 100 ms apart; at most 10 s.
    Pooled connections may legitimately grow (up to the pool size) when more requests run at once
    than before; everything else must stay put."""
    backends = {f.port for f in FAKES.values()}
    last = None
    deadline = time.monotonic() + 10.0
    while True:
        snap = {}
        clients = 0
        for pid in h.children():
            try:
                pooled = sum(n for port, n in Httpd.tcp_peer_ports(pid).items() if port in backends)
                clients += Httpd.client_connections(pid, h.port)
                snap[pid] = (Httpd.fd_count(pid), pooled)
            except OSError:
                pass
        if (snap == last and clients == 0) or time.monotonic() > deadline:
            return snap
        last = snap
        time.sleep(0.1)


def fd_range(snap):
    """'min..max fds (pooled AJP connections min..max)' over the children."""
    if not snap:
        return "-"
    fds = [v[0] for v in snap.values()]
    pooled = [v[1] for v in snap.values()]
    return "%d..%d (pooled %d..%d)" % (min(fds), max(fds), min(pooled), max(pooled))


def one_request(h, case):
    """GET /<case>/x.jsp on a fresh connection; (outcome, response or None, seconds)."""
    client = load.KeepAlive(h.port, timeout=15)
    t0 = time.monotonic()
    try:
        resp = client.request("GET", "/%s/x.jsp" % case)
        return resp.outcome, resp, time.monotonic() - t0
    except Exception as e:  # classified below
        return "no-response:%s" % type(e).__name__, None, time.monotonic() - t0
    finally:
        client.close()


def wait_log_lines(h, since, want=1, timeout=2.0):
    """jk-log lines at info or above written since `since`: wait (bounded) until `want` exist,
    then a little longer to catch a second one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(level_lines(h.jk_log(since))) < want:
        time.sleep(0.05)
    time.sleep(0.2)
    return level_lines(h.jk_log(since))


# ------------------------------------------------------------------ the checks

def single(case, mpm):
    h = HTTPDS[mpm]
    expected = EXPECTED[case]
    fake = FAKES.get(case)
    if fake:
        fake.reset()
    since, esince = h.log_size("jk.log"), h.log_size("error.log")
    outcome, resp, dt = one_request(h, case)
    lines = wait_log_lines(h, since, want=0 if case in ("ok", "reuse0") else 1)
    note("%s/%s: %s in %.3fs; backend saw %s; jk.log: %s" % (
        case, mpm, outcome, dt, fake.stats() if fake else "-",
        " | ".join(l.split("] ", 3)[-1] for l in lines) or "(nothing at info+)"))
    check(matches(outcome, expected), "%s: expected %s, got %s (body %r)" % (
        case, expected, outcome, resp.body[:120] if resp else None))
    if resp is not None and outcome == "truncated:200" and matches(outcome, expected):
        # What came before the fault arrives, and nothing else (no error page glued on).
        check(resp.body == PARTIAL_BODY, "%s: partial body %r, expected %r" % (
            case, resp.body[:200], PARTIAL_BODY))
    if case in ("ok", "reuse0"):
        check(not lines, "%s: unexpected jk.log lines: %s" % (case, lines))
    else:
        check(len(lines) == 1, "%s: expected exactly one jk.log line at info or above, got %d:\n%s"
              % (case, len(lines), "\n".join(lines)))
        port = "127.0.0.1:%d" % backend_port(case)
        check(all(port in l and CAUSE[case] in l for l in lines[:1]),
              "%s: the jk.log line should name %s and contain %r: %s" % (case, port, CAUSE[case], lines))
    assert not crash_lines(h, esince), crash_lines(h, esince)


def many(case, mpm):
    h = HTTPDS[mpm]
    expected = EXPECTED[case]
    fake = FAKES.get(case)
    concurrency = 16 if case in SLOW else 8
    path = "/%s/x.jsp" % case
    esince = h.log_size("error.log")
    # Warm-up with the same concurrency (prefork spawns its children now), clients closed.
    load.hammer(h.port, path, 4 * concurrency, concurrency=concurrency, deadline_s=20)
    kids_before = set(h.children())
    before = fd_snapshot(h)
    jsince = h.log_size("jk.log")
    if fake:
        fake.reset()
    counts, elapsed, opened = load.hammer(h.port, path, REQUESTS, concurrency=concurrency,
                                          deadline_s=CASE_DEADLINE)
    after = fd_snapshot(h)
    done = sum(counts.values())
    fstats = fake.stats() if fake else {}
    if fake:
        try:
            procs.wait_until(lambda: fake.stats()["open"] <= 2 * concurrency + 2, 5,
                             what="backend connections to close")
        except TimeoutError:
            pass
    # Descriptors other than pooled AJP connections, child by child.
    diffs = {pid: (after[pid][0] - after[pid][1]) - (before[pid][0] - before[pid][1])
             for pid in before if pid in after}
    pool_growth = max([after[p][1] - before[p][1] for p in before if p in after] or [0])
    logged = len(level_lines(h.jk_log(jsince)))
    note("%s/%s: %d requests in %.2fs (%d clients, %d client connections) -> %s; backend %s; "
         "%d children, fds %s -> %s (largest change besides the pool %+d); %d jk.log lines at info+"
         % (case, mpm, done, elapsed, concurrency, opened, dict(counts),
            {k: v for k, v in fstats.items() if k in ("connections", "requests", "open", "reuse_violations")},
            len(diffs), fd_range(before), fd_range(after),
            max(diffs.values(), key=abs) if diffs else 0, logged))
    assert not crash_lines(h, esince), "crash: %s" % crash_lines(h, esince)
    gone = kids_before - set(h.children())
    assert not gone, "httpd children %s disappeared during %s (%s)" % (gone, case, h.error_log(esince)[-2000:])
    assert done == REQUESTS, "%s/%s: only %d of %d requests within %ss" % (
        case, mpm, done, REQUESTS, CASE_DEADLINE)
    leaks = {pid: d for pid, d in diffs.items() if abs(d) > FD_SLACK}
    assert not leaks, ("%s/%s: descriptors besides pooled AJP connections changed by more than "
                       "%d: %s (pid: (fds, pooled) before %s, after %s)" % (
                           case, mpm, FD_SLACK, leaks, before, after))
    assert pool_growth <= concurrency, "%s/%s: pool grew by %d connections with %d clients: %s -> %s" % (
        case, mpm, pool_growth, concurrency, before, after)
    # Children forked during the run (prefork) have no "before": none may hold more descriptors
    # besides its pool than the most any child held before the run.
    spawned = {pid: v for pid, v in after.items() if pid not in before}
    if spawned and before:
        most = max(v[0] - v[1] for v in before.values())
        heavy = {pid: v for pid, v in spawned.items() if v[0] - v[1] > most + FD_SLACK}
        assert not heavy, "%s/%s: children forked during the run hold more descriptors than any before " \
            "(%d besides the pool): %s" % (case, mpm, most, heavy)
    check(set(counts) <= (expected if isinstance(expected, set) else {expected}),
          "%s/%s: outcomes %s, expected only %s" % (case, mpm, dict(counts), expected))
    quiet = case in ("ok", "reuse0")
    check(logged == (0 if quiet else done), "%s/%s: %d jk.log lines at info or above for %d requests "
          "(expected %s)" % (case, mpm, logged, done, 0 if quiet else "one each"))
    if fake:
        check(fake.stats()["open"] <= 2 * concurrency + 2,
              "%s/%s: %d AJP connections still open at the backend" % (case, mpm, fake.stats()["open"]))
    if case == "reuse0":
        # END_RESPONSE reuse=0: never another packet on that connection.
        check(fstats.get("reuse_violations") == 0,
              "reuse0/%s: %d packets arrived on connections ended with reuse=0" % (mpm, fstats.get("reuse_violations")))
        check(fstats.get("connections", 0) >= fstats.get("requests", 0),
              "reuse0/%s: %s - fewer connections than requests" % (mpm, fstats))


def _make(fn, case, mpm, kind):
    def test():
        fn(case, mpm)
    test.__name__ = "test_%s_%s_%s" % (case, mpm, kind)
    return test


# test_<case>_<mpm>_once (status, log line) and test_<case>_<mpm>_1000 (crash, fds, outcomes).
for _mpm in MPMS:
    for _case in CASES:
        globals()["test_%s_%s_once" % (_case, _mpm)] = _make(single, _case, _mpm, "once")
        globals()["test_%s_%s_%d" % (_case, _mpm, REQUESTS)] = _make(many, _case, _mpm, str(REQUESTS))
del _mpm, _case
