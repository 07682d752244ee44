"""Graceful and hard restarts of httpd under load lose no request, with the event and the
prefork MPM.

One Tomcat (with an AJP secret) is shared; each test starts its own httpd (ajp13 worker1,
`JkMount /*.jsp worker1`). While CLIENTS threads send requests over keep-alive connections
(GET /hello.jsp, and every POST_EVERY-th request a POST of 8-64 KiB to /post.jsp whose length
and SHA-256 Tomcat reports back), the test does 5 graceful restarts (SIGUSR1, Httpd.graceful)
and 2 hard restarts (SIGHUP, Httpd.restart), RESTART_GAP_S apart. Then it asserts 0 failed
requests.

Retries are what browsers and HTTP client libraries do on a kept-alive connection, and only
that: a client may open a new connection and send the request again when the reused connection
(a) is found closed while idle, before anything was sent on it (checked with a non-blocking
MSG_PEEK before sending), or (b) failed (EOF, reset, broken pipe) before a single byte of the
response arrived. httpd closes idle keep-alive connections on a graceful restart and every
connection on a hard one, so both happen. (c) One more kind, only while a hard restart is in
progress (SIGHUP sent, until 0.5 s after the old children are gone and the new ones answer): a
FRESH connection reset or closed before any response byte. That is httpd, not the module: the
MPM kills its children at once, and one of them may just have accepted the connection (with
prefork the parent SIGHUPs the process group and each child dies where it stands); Debian's
mod_jk in this same test shows it as often (prefork: 0-2 per run of 7 restarts). The three
kinds are counted and reported apart.

Everything else is a failure: a status other than 200, a truncated response (status line,
headers or body cut short, i.e. any response byte then EOF), a wrong body (hello.jsp's text,
the POST's length and SHA-256 as Tomcat saw them), a timeout, an error on a fresh connection
outside a hard restart, or a retry that fails again. Also checked: no httpd child crashed,
requests completed after every restart, and Tomcat executed every successful POST once, plus
at most one extra per POST retry (a POST killed by the hard restart after it reached Tomcat).

The load is bounded: it stops when the restarts are done (plus a short tail), and in any case
after MAX_REQUESTS_PER_CLIENT per client or LOAD_DEADLINE_S.
"""

import collections
import hashlib
import random
import socket
import threading
import time

from harness import Httpd, Tomcat, ajp13_worker_lines, module_so, note, require_tools
from harness import load

SECRET = "restart-secret-2468"
CLIENTS = 6
POST_EVERY = 10
RESTARTS = ["graceful", "graceful", "hard", "graceful", "graceful", "hard", "graceful"]
RESTART_GAP_S = (1.0, 2.0)
THINK_S = 0.003          # between a client's requests: a bounded load, not a CPU hog
MAX_REQUESTS_PER_CLIENT = 20_000
LOAD_DEADLINE_S = 75.0
READ_TIMEOUT_S = 20.0
HARD_RESTART_MARGIN_S = 0.5
POST_LINE = '"POST /post.jsp HTTP/1.1"'
RETRY_KINDS = ("idle-closed-before-send", "no-response-byte-on-reused",
               "fresh-conn-reset-in-hard-restart")
TC = None


def setup_module():
    global TC
    require_tools()
    module_so()
    TC = Tomcat("restarts", "tc1", secret=SECRET).start_ready()


def teardown_module():
    if TC:
        TC.stop()


# ---------------------------------------------------------------------------- the client

class _CountingConn(load._Conn):
    """load._Conn that counts the bytes received since the last request was sent."""

    def __init__(self, port, timeout):
        super().__init__(port, timeout)
        self.received = 0
        self.requests = 0

    def fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError
        self.received += len(chunk)
        self.buf += chunk


def _closed_while_idle(conn):
    """True if the idle kept-alive connection has been closed (or reset) by the server, or has
    unsolicited bytes waiting: what a client checks before reusing a connection."""
    if conn.buf:
        return True
    sock = conn.sock
    try:
        sock.setblocking(False)
        try:
            data = sock.recv(1, socket.MSG_PEEK)
        finally:
            sock.settimeout(READ_TIMEOUT_S)
    except (BlockingIOError, InterruptedError):
        return False
    except OSError:
        return True
    return True          # b"" = orderly close; anything else = unsolicited data


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.ok = collections.Counter()          # method -> completed, valid responses
        self.retries = collections.Counter()     # kind -> count
        self.failures = []                       # (time, description)
        self.connections = 0
        self.ok_times = []                       # monotonic time of every success
        self.hard_restart = None                 # (start, end or None) of the last one

    def in_hard_restart(self):
        """True while a hard restart is in progress (from just before SIGHUP until
        HARD_RESTART_MARGIN_S after Httpd.restart() returned: old children gone, new answer)."""
        window = self.hard_restart
        return window is not None and (window[1] is None or
                                       time.monotonic() <= window[1] + HARD_RESTART_MARGIN_S)

    def success(self, method, retries):
        with self.lock:
            self.ok[method] += 1
            self.ok_times.append(time.monotonic())
            for kind in retries:
                self.retries["%s %s" % (method, kind)] += 1

    def failure(self, text):
        with self.lock:
            self.failures.append((time.monotonic(), text))


class Client:
    def __init__(self, port, stats):
        self.port, self.stats = port, stats
        self.conn = None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, headers=None, body=None, validate=None):
        """One request with the allowed retries; records a success or a failure."""
        data = load.request_bytes(method, path, headers, body)
        retries = []
        for attempt in (1, 2, 3, 4):
            if self.conn is not None and _closed_while_idle(self.conn):
                self.close()
                retries.append("idle-closed-before-send")
            fresh = self.conn is None
            if fresh:
                try:
                    self.conn = _CountingConn(self.port, READ_TIMEOUT_S)
                except OSError as e:
                    return self._fail(method, path, retries, "connect: %r" % e)
                with self.stats.lock:
                    self.stats.connections += 1
            conn = self.conn
            conn.received = 0
            conn.requests += 1
            try:
                conn.sock.sendall(data)
                resp = load.read_response(conn, head_only=(method == "HEAD"))
            except socket.timeout:
                self.close()
                return self._fail(method, path, retries, "timeout after %d response bytes"
                                  % conn.received)
            except (EOFError, ConnectionResetError, BrokenPipeError, ConnectionAbortedError) as e:
                self.close()
                what = "%s after %d response bytes on %s connection (request %d on it)" % (
                    type(e).__name__, conn.received, "a fresh" if fresh else "a reused",
                    conn.requests)
                if conn.received:
                    return self._fail(method, path, retries, what)
                if not fresh:
                    retries.append("no-response-byte-on-reused")
                    continue
                if self.stats.in_hard_restart():
                    # httpd's own doing, not the module's: a child killed by the hard restart
                    # had just accepted this connection (mod_jk shows the same)
                    retries.append("fresh-conn-reset-in-hard-restart")
                    continue
                return self._fail(method, path, retries, what)
            except OSError as e:
                self.close()
                return self._fail(method, path, retries, "%r" % e)
            if not resp.complete:
                self.close()
                return self._fail(method, path, retries, "truncated response: %r" % resp)
            if (resp.header("Connection") or "").lower() == "close":
                self.close()
            if resp.status != 200:
                return self._fail(method, path, retries, "status %d: %r" % (resp.status, resp.body[:200]))
            problem = validate(resp) if validate else None
            if problem:
                return self._fail(method, path, retries, problem)
            self.stats.success(method, retries)
            return True
        return self._fail(method, path, retries, "still no response after %d attempts" % attempt)

    def _fail(self, method, path, retries, text):
        self.stats.failure("%s %s: %s%s" % (method, path, text,
                                            " (after retries %s)" % retries if retries else ""))
        return False


def _hello_ok(resp):
    return None if resp.body == b"hello\n" else "wrong body %r" % resp.body[:100]


def _client_loop(port, stats, stop, seed):
    rng = random.Random(seed)
    client = Client(port, stats)
    deadline = time.monotonic() + LOAD_DEADLINE_S
    try:
        for i in range(MAX_REQUESTS_PER_CLIENT):
            if stop.is_set() or time.monotonic() >= deadline:
                break
            if i % POST_EVERY == POST_EVERY - 1:
                body = rng.randbytes(rng.randint(8 * 1024, 64 * 1024))
                digest = hashlib.sha256(body).hexdigest()

                def check(resp, body=body, digest=digest):
                    kv = dict(l.split("=", 1) for l in resp.body.decode().splitlines() if "=" in l)
                    if kv.get("length") != str(len(body)) or kv.get("sha256") != digest:
                        return "POST body not intact: sent %d bytes, Tomcat saw %s" % (len(body), kv)
                    return None
                client.request("POST", "/post.jsp",
                               [("Content-Type", "application/octet-stream")], body, check)
            else:
                client.request("GET", "/hello.jsp", validate=_hello_ok)
            time.sleep(THINK_S)
    finally:
        client.close()


# ---------------------------------------------------------------------------- the test

def _run(mpm):
    workers = "worker.list=worker1\n" + "\n".join(ajp13_worker_lines(TC, name="worker1")) + "\n"
    httpd = Httpd(module_so(), mpm=mpm, name="httpd-" + mpm, workers_properties=workers,
                  jk_directives="JkMount /*.jsp worker1")
    httpd.configtest_and_start()
    try:
        _load_with_restarts(httpd)
    finally:
        httpd.stop()


def _load_with_restarts(httpd):
    stats = Stats()
    stop = threading.Event()
    posts_before = TC.access_log().count(POST_LINE)
    threads = [threading.Thread(target=_client_loop, args=(httpd.port, stats, stop, n), daemon=True)
               for n in range(CLIENTS)]
    rng = random.Random(1)
    marks = []           # (kind, start, end, children before, children after)
    t0 = time.monotonic()
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)
        for kind in RESTARTS:
            before = len(httpd.children())
            start = time.monotonic()
            if kind == "graceful":
                httpd.graceful()
            else:
                stats.hard_restart = (start, None)
                httpd.restart()
                stats.hard_restart = (start, time.monotonic())
            marks.append((kind, start, time.monotonic(), before, len(httpd.children())))
            time.sleep(rng.uniform(*RESTART_GAP_S))
        time.sleep(1.0)
    finally:
        stop.set()
        for t in threads:
            t.join(READ_TIMEOUT_S + 5)
    elapsed = time.monotonic() - t0
    alive = [t for t in threads if t.is_alive()]

    # What Tomcat executed: every POST the client saw succeed, plus at most one more per POST
    # retry (a request that reached Tomcat before httpd dropped the connection); nothing else.
    post_retries = sum(n for k, n in stats.retries.items() if k.startswith("POST "))
    try:
        tomcat_posts = TC.wait_access_count(POST_LINE, posts_before + stats.ok["POST"]) - posts_before
    except TimeoutError:
        tomcat_posts = TC.access_log().count(POST_LINE) - posts_before

    # Load kept flowing: successes after every restart (not just before the first).
    after_each = [sum(1 for x in stats.ok_times if x > end) for _, _, end, _, _ in marks]
    total = sum(stats.ok.values()) + len(stats.failures)
    retries = sum(stats.retries.values())
    crashes = [l for l in httpd.error_log().splitlines()
               if "exit signal" in l or "Segmentation" in l or "seg fault" in l]
    jk_errors = [l for l in httpd.jk_log().splitlines() if "[error]" in l]
    note("%s: %d requests (%d GET, %d POST) in %.1fs over %d client connections, %d failed, "
         "%d retried on a new connection: %s"
         % (httpd.mpm, total, stats.ok["GET"], stats.ok["POST"], elapsed, stats.connections,
            len(stats.failures), retries,
            ", ".join("%s=%d" % (kind, sum(n for k, n in stats.retries.items() if k.endswith(kind)))
                      for kind in RETRY_KINDS)))
    note("%s: restarts (kind, seconds, children before->after): %s" % (httpd.mpm, ", ".join(
        "%s %.2fs %d->%d" % (k, e - s, b, a) for k, s, e, b, a in marks)))
    note("%s: Tomcat executed %d POSTs for %d successful client POSTs and %d POST retries"
         % (httpd.mpm, tomcat_posts, stats.ok["POST"], post_retries))
    note("%s: jk.log [error] lines: %d%s; httpd child crashes: %d"
         % (httpd.mpm, len(jk_errors), (" e.g. " + jk_errors[0][:200]) if jk_errors else "",
            len(crashes)))
    for when, text in stats.failures[:10]:
        near = min(marks, key=lambda m: abs(when - m[1])) if marks else None
        note("%s: failure at +%.2fs (%s restart signalled at +%.2fs, done +%.2fs): %s"
             % (httpd.mpm, when - t0, near[0], near[1] - t0, near[2] - t0, text))

    assert not alive, "%d client threads did not finish" % len(alive)
    assert len(marks) == len(RESTARTS)
    assert not stats.failures, "%d of %d requests failed, first: %s" % (
        len(stats.failures), total, stats.failures[0][1])
    assert not crashes, "httpd children crashed:\n" + "\n".join(crashes[:5])
    assert stats.ok["POST"] > 0 and stats.ok["GET"] > 0, stats.ok
    assert stats.ok["POST"] <= tomcat_posts <= stats.ok["POST"] + post_retries, \
        "Tomcat executed %d POSTs for %d client POSTs (%d retries)" % (
            tomcat_posts, stats.ok["POST"], post_retries)
    assert all(n > 0 for n in after_each), "no request completed after a restart: %s" % after_each
    assert total >= 500, "too little load to mean anything: %d requests" % total


def test_restarts_under_load_event():
    _run("event")


def test_restarts_under_load_prefork():
    _run("prefork")
