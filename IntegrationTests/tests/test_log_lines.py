"""The jk log at the default level (info), failure by failure: the exact line(s) each failure
writes after mod_jk's `[stamp] [pid:tid] [level] ` prefix, with the module's default stamp
format `[%a %b %d %H:%M:%S.%Q %Y] ` (neither JkLogLevel nor JkLogStampFormat in httpd.conf:
both defaults are the module's own).

Cases (one request each, on a fresh client connection; the lines written while it ran must be
exactly the expected ones, in order; only ports and durations are variable):

  refused      ajp13 worker on a port nothing listens on                          -> 503
  ctimeout     ajp13 worker on a listener whose accept queue is full (SYNs dropped),
               socket_connect_timeout=200                                         -> 503
  never        fake AJP that reads the request and never answers, reply_timeout=100 -> 504
  garbage      fake AJP that answers with bytes that are not AJP                  -> 502
  abort        lb member streaming a 64 MB body; the client resets the connection
               after 256 KB: one info line blaming the client, the member stays OK
               (no ERR line; status worker: state=OK errors=0 client_errors=1)
  badsecret    real Tomcat with secret=S, worker with another secret: Tomcat's 403 is
               passed through and one warn line says to check the AJP secret
  nosecret     same Tomcat, worker without a secret
  lb_down      lb whose two members both refuse: ERR line per member, a failover line per
               member, one error line for the request                              -> 503
"""

import re
import socket
import struct
import time

from harness import NotApplicable, Tomcat, http, is_reference, load, module_so, note, ports, require_tools
from harness.fakeajp import FakeAJP, body_chunk, decode_forward_request, end_response, ok_response, send_headers
from harness.jklog import DEFAULT_STAMP_RE, DefaultStampHttpd, parse, wait_lines

TOMCAT_SECRET = "loglines-tomcat-secret-7f3a"
WRONG_SECRET = "loglines-wrong-secret-c41d"

STREAM_TOTAL = 64 * 1024 * 1024
STREAM_CHUNK = 8000
ABORT_AFTER = 256 * 1024

H = TC = None
FAKES = {}
PORTS = {}
LISTENERS = []
STREAM_LOG = []      # what the streaming backend saw: ("aborted"|"completed", bytes sent)
T0 = None


# ------------------------------------------------------------------ fixtures

def streaming(fake, conn, payload):
    """/stream/small: a normal small reply. Anything else: 64 MB, 8000 bytes per packet, a little
    slowly, until the front end closes the connection (or 20 s pass)."""
    uri = decode_forward_request(payload)["uri"]
    if "small" in uri:
        conn.sendall(ok_response(b"small\n"))
        return True
    conn.sendall(send_headers(200, headers=[("Content-Type", "application/octet-stream"),
                                            ("Content-Length", str(STREAM_TOTAL))]))
    chunk = body_chunk(b"z" * STREAM_CHUNK)
    sent = 0
    deadline = time.monotonic() + 20
    try:
        while sent < STREAM_TOTAL and time.monotonic() < deadline and not fake._stopping.is_set():
            conn.sendall(chunk)
            sent += STREAM_CHUNK
            if sent % (STREAM_CHUNK * 16) == 0:
                time.sleep(0.002)
        if sent < STREAM_TOTAL:
            STREAM_LOG.append(("gave up", sent))
            return False
        conn.sendall(end_response(True))
        STREAM_LOG.append(("completed", sent))
        return True
    except OSError:
        STREAM_LOG.append(("aborted", sent))
        return False


def full_listener():
    """A listening socket that never accepts, with its accept queue filled: further connects get
    no SYN-ACK and time out (Linux drops the SYN when the queue is full)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(0)
    port = s.getsockname()[1]
    LISTENERS.append(s)
    for _ in range(8):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.settimeout(0.3)
        try:
            c.connect(("127.0.0.1", port))
            LISTENERS.append(c)
        except socket.timeout:
            c.close()
            return port
    raise AssertionError("could not fill the accept queue of a listener (connects never timed out): "
                         "the exact-line tests that need a hung connect cannot run")


def ajp(name, port, **props):
    w = "worker.%s." % name
    lines = [w + "type=ajp13", w + "host=127.0.0.1", w + "port=%d" % port]
    lines += [w + "%s=%s" % kv for kv in props.items()]
    return lines


def setup_module():
    global H, TC, T0
    require_tools()
    so = module_so()
    if is_reference():
        raise NotApplicable("the exact lines are SwiftJK's; mod_jk writes other texts")
    T0 = time.time()
    TC = Tomcat("loglines", "ll1", secret=TOMCAT_SECRET)
    TC.start()
    FAKES["never"] = FakeAJP("never", hold=20.0).start()
    FAKES["garbage"] = FakeAJP("garbage", hold=20.0).start()
    FAKES["stream"] = FakeAJP(streaming, name="fakeajp-stream", hold=20.0).start()
    PORTS["refused"], PORTS["down1"], PORTS["down2"] = ports.free_ports(3)   # never bound
    PORTS["ctimeout"] = full_listener()
    TC.wait_ready(90)
    TC.precompile(["hello.jsp"])
    lines = ["worker.list=f_refused,f_ctimeout,f_never,f_garbage,lb_stream,lb_down,"
             "w_goodsecret,w_badsecret,w_nosecret,jkstatus"]
    lines += ajp("f_refused", PORTS["refused"], retry_interval=10)
    lines += ajp("f_ctimeout", PORTS["ctimeout"], socket_connect_timeout=200, retry_interval=10)
    lines += ajp("f_never", FAKES["never"].port, reply_timeout=100, retry_interval=10)
    lines += ajp("f_garbage", FAKES["garbage"].port, retry_interval=10)
    lines += ajp("s1", FAKES["stream"].port)
    lines += ["worker.lb_stream.type=lb", "worker.lb_stream.balance_workers=s1"]
    lines += ajp("d1", PORTS["down1"]) + ajp("d2", PORTS["down2"])
    lines += ["worker.lb_down.type=lb", "worker.lb_down.balance_workers=d1,d2"]
    lines += ajp("w_goodsecret", TC.ajp_port, secret=TOMCAT_SECRET)
    lines += ajp("w_badsecret", TC.ajp_port, secret=WRONG_SECRET)
    lines += ajp("w_nosecret", TC.ajp_port)
    lines += ["worker.jkstatus.type=status"]
    mounts = "\n".join([
        "JkMount /refused/* f_refused", "JkMount /ctimeout/* f_ctimeout", "JkMount /never/* f_never",
        "JkMount /garbage/* f_garbage", "JkMount /stream/* lb_stream", "JkMount /down/* lb_down",
        "JkMount /hello.jsp w_goodsecret", "JkMount /badsecret/* w_badsecret",
        "JkMount /nosecret/* w_nosecret", "JkMount /jkstatus jkstatus"])
    H = DefaultStampHttpd(so, workers_properties="\n".join(lines) + "\n", jk_directives=mounts,
                          name="httpd-loglines", log_level=None)     # no JkLogLevel: default (info)
    H.configtest_and_start()


def teardown_module():
    try:
        if H:
            time.sleep(1.0)   # one watchdog interval: a late line of the last case is written by now
            assert_no_late_lines()
    finally:
        teardown_fixtures()


def teardown_fixtures():
    if H:
        H.stop()
    for f in FAKES.values():
        f.stop()
    for s in LISTENERS:
        s.close()
    if TC:
        TC.stop()


# ------------------------------------------------------------------ helpers

def ep(port):
    return re.escape("127.0.0.1:%d" % port)


def one_request(path):
    client = load.KeepAlive(H.port, timeout=20)
    t0 = time.monotonic()
    try:
        resp = client.request("GET", path)
        return resp.outcome, resp, time.monotonic() - t0
    except Exception as e:
        return "no-response:%s" % type(e).__name__, None, time.monotonic() - t0
    finally:
        client.close()


# Where the previous case's lines ended: a line written after its settle time shows up here
# (checked at the start of the next case and at teardown), instead of going unseen.
LAST_END = {"name": None, "size": None}


def assert_no_late_lines():
    if LAST_END["size"] is None:
        return
    late, _ = parse(H.jk_log(LAST_END["size"]), DEFAULT_STAMP_RE)
    previous = LAST_END["name"]
    LAST_END.update(name=None, size=None)   # reported once, not again by every later case
    assert not late, "%s: line(s) written after its check:\n%s" % (
        previous, "\n".join("[%s] %s" % (l.level, l.msg) for l in late))


def check_case(name, path, status, expected, timeout=5.0):
    """One request to `path`; the client gets `status`; the jk log lines written meanwhile (any
    level: the log is at info) are exactly `expected`: [(level, message regex)], in order."""
    assert_no_late_lines()
    since = H.log_size("jk.log")
    outcome, resp, dt = one_request(path)
    lines, bad = wait_lines(H, since, len(expected), levels=("trace", "debug", "info", "warn", "error", "emerg"),
                            timeout=timeout, stamp_re=DEFAULT_STAMP_RE)
    note("%s: GET %s -> %s in %.3fs; %d jk.log line(s):" % (name, path, outcome, dt, len(lines)))
    for l in lines:
        note("    [%s] %s" % (l.level, l.msg))
    assert not bad, "%s: lines without the mod_jk prefix: %s" % (name, bad)
    assert outcome == status, "%s: expected %s, got %s (%r)" % (name, status, outcome, resp.body[:200] if resp else None)
    LAST_END.update(name=name, size=H.log_size("jk.log"))
    got = [(l.level, l.msg) for l in lines]
    assert len(got) == len(expected), "%s: expected %d line(s), got %d:\n%s" % (
        name, len(expected), len(got), "\n".join("[%s] %s" % g for g in got))
    for (level, msg), (want_level, want_rx) in zip(got, expected):
        assert level == want_level and re.fullmatch(want_rx, msg), \
            "%s: line\n  [%s] %s\ndoes not match\n  [%s] %s" % (name, level, msg, want_level, want_rx)
    return lines


# ------------------------------------------------------------------ the cases

def test_prefix_is_mod_jk_default_stamp_format():
    """Every line so far (start-up report included) has the prefix with the default stamp,
    whose time is now (to the second) and whose pid is httpd's; the default level is info (the
    start-up report is there, no debug or trace line)."""
    conf = H.conf_file.read_text()
    assert "JkLogStampFormat" not in conf and "JkLogLevel" not in conf
    text = H.jk_log()
    lines, bad = parse(text, DEFAULT_STAMP_RE)
    assert lines and not bad, "lines without `[%%a %%b %%d %%H:%%M:%%S.%%Q %%Y] [pid:tid] [level] `: %s" % bad[:5]
    now = time.time()
    for l in lines:
        stamp = l.stamp.strip()[1:-1]                      # "Sun Nov 29 11:40:01.123 2026"
        head, _, rest = stamp.partition(".")
        ms, year = rest.split(" ")
        t = time.mktime(time.strptime("%s %s" % (head, year), "%a %b %d %H:%M:%S %Y"))
        assert T0 - 2 <= t <= now + 2, (l.raw, T0, now)
        assert len(ms) == 3 and ms.isdigit(), l.raw
    pids = {l.pid for l in lines}
    assert H.pid in pids, (H.pid, pids)
    assert {l.level for l in lines} <= {"info", "warn", "error"}, {l.level for l in lines}
    assert any(re.match(r"SwiftJK \d+\.\d+\.\d+\S* starting: ", l.msg) and l.level == "info" for l in lines)
    note("%d start-up lines, e.g. %s" % (len(lines), lines[0].raw))


def test_refused():
    check_case("refused", "/refused/x.jsp", 503, [
        ("error", r"worker f_refused \(%s\): connect refused \(nothing listens on the port\) → 503" % ep(PORTS["refused"]))])


def test_connect_timeout():
    check_case("ctimeout", "/ctimeout/x.jsp", 503, [
        ("error", r"worker f_ctimeout \(%s\): connect timed out \(socket_connect_timeout\) → 503" % ep(PORTS["ctimeout"]))])


def test_reply_timeout():
    check_case("never", "/never/x.jsp", 504, [
        ("error", r"worker f_never \(%s\): no reply within 100 ms \(reply_timeout\) → 504" % ep(FAKES["never"].port))])


def test_garbage():
    check_case("garbage", "/garbage/x.jsp", 502, [
        ("error", r"worker f_garbage \(%s\): waiting for the reply: protocol error: packet does not start "
                  r"with AB \(got 0x0001\) → 502" % ep(FAKES["garbage"].port))])


def fence(name):
    """A test that checks lines without check_case: later lines count as written after it."""
    LAST_END.update(name=name, size=H.log_size("jk.log"))


def test_client_abort_mid_response():
    assert_no_late_lines()
    since = H.log_size("jk.log")
    del STREAM_LOG[:]
    s = socket.create_connection(("127.0.0.1", H.port), timeout=10)
    got = 0
    try:
        s.sendall(load.request_bytes("GET", "/stream/big.bin"))
        deadline = time.monotonic() + 10
        while got < ABORT_AFTER and time.monotonic() < deadline:
            data = s.recv(65536)
            if not data:
                break
            got += len(data)
    finally:
        # RST instead of FIN: the next write of httpd fails at once.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    assert got >= ABORT_AFTER, "only %d bytes came before the abort" % got
    t0 = time.monotonic()
    while not STREAM_LOG and time.monotonic() - t0 < 10:
        time.sleep(0.05)
    lines, bad = wait_lines(H, since, 1, levels=("trace", "debug", "info", "warn", "error", "emerg"),
                            timeout=5, stamp_re=DEFAULT_STAMP_RE)
    note("abort: client read %d bytes, then reset; backend: %s; %d jk.log line(s):" % (got, STREAM_LOG, len(lines)))
    for l in lines:
        note("    [%s] %s" % (l.level, l.msg))
    assert not bad, bad
    assert STREAM_LOG and STREAM_LOG[0][0] == "aborted", \
        "the backend connection should have been closed mid-stream: %s" % STREAM_LOG
    want = (r"client error on GET /stream/big\.bin \(member s1 \(%s\) of lb_stream is fine\): "
            r"client aborted the connection while the response was written" % ep(FAKES["stream"].port))
    assert [(l.level, bool(re.fullmatch(want, l.msg))) for l in lines] == [("info", True)], \
        "expected exactly one info line matching %r, got %s" % (want, lines)
    assert not [l for l in lines if " ERR" in l.msg or l.level in ("error", "emerg")], lines
    # The member is not in error: the status worker says so, and it serves the next request.
    status = http.get("http://127.0.0.1:%d/jkstatus?mime=txt" % H.port).text
    member = [l for l in status.splitlines() if l.startswith("Member: name=s1 ")]
    note("status: %s" % member)
    assert member and " state=OK " in member[0] and " errors=0 " in member[0] and " client_errors=1 " in member[0], member
    since = H.log_size("jk.log")
    r = http.get("http://127.0.0.1:%d/stream/small" % H.port)
    assert r.status == 200 and r.body == b"small\n", r
    lines, _ = wait_lines(H, since, 0, settle=0.3, stamp_re=DEFAULT_STAMP_RE)
    fence("client abort")
    assert not lines, lines


def test_secret_accepted_is_silent():
    assert_no_late_lines()
    since = H.log_size("jk.log")
    r = http.get("http://127.0.0.1:%d/hello.jsp" % H.port)
    assert r.status == 200 and r.text == "hello\n", r
    lines, bad = wait_lines(H, since, 0, stamp_re=DEFAULT_STAMP_RE)
    fence("secret accepted")
    assert not lines and not bad, (lines, bad)


def test_secret_rejected():
    lines = check_case("badsecret", "/badsecret/hello.jsp", 403, [
        ("warn", r"worker w_badsecret \(%s\): Tomcat answered 403 and closed the connection right after the "
                 r"request: check the AJP secret \(worker\.w_badsecret\.secret is set and must equal "
                 r"secret=\"…\" on Tomcat's AJP connector\)" % ep(TC.ajp_port))])
    assert not any(s in l.raw for l in lines for s in (TOMCAT_SECRET, WRONG_SECRET)), lines


def test_secret_missing():
    check_case("nosecret", "/nosecret/hello.jsp", 403, [
        ("warn", r"worker w_nosecret \(%s\): Tomcat answered 403 and closed the connection right after the "
                 r"request: check the AJP secret \(worker\.w_nosecret\.secret is not set and must equal "
                 r"secret=\"…\" on Tomcat's AJP connector\)" % ep(TC.ajp_port))])


def test_lb_all_members_down():
    d = {"d1": ep(PORTS["down1"]), "d2": ep(PORTS["down2"])}
    since = H.log_size("jk.log")
    lines = check_case("lb_down", "/down/x.jsp", 503, [
        ("error", r"member (d1|d2) \((%s|%s)\) of lb_down ERR: connect refused \(nothing listens on the port\); "
                 r"next probe in 1 s" % (d["d1"], d["d2"])),
        ("info", r"lb lb_down: GET /down/x\.jsp failed on (d1|d2) \((%s|%s)\): connect refused \(nothing listens "
                 r"on the port\); trying another member" % (d["d1"], d["d2"])),
        ("error", r"member (d1|d2) \((%s|%s)\) of lb_down ERR: connect refused \(nothing listens on the port\); "
                 r"next probe in 1 s" % (d["d1"], d["d2"])),
        ("info", r"lb lb_down: GET /down/x\.jsp failed on (d1|d2) \((%s|%s)\): connect refused \(nothing listens "
                 r"on the port\); trying another member" % (d["d1"], d["d2"])),
        ("error", r"lb lb_down: all members failed for GET /down/x\.jsp \(tried (d1, d2|d2, d1); d1 ERR, d2 ERR\) → 503"),
    ])
    # The pairs name the same member with its own port, and each member once.
    first, second = re.match(r"member (\w+) \(([^)]*)\)", lines[0].msg), re.match(r"member (\w+) \(([^)]*)\)", lines[2].msg)
    assert {first.group(1), second.group(1)} == {"d1", "d2"}, lines
    for m in (first, second):
        assert re.fullmatch(d[m.group(1)], m.group(2)), (m.group(0), d)
    assert "failed on %s (" % first.group(1) in lines[1].msg and "failed on %s (" % second.group(1) in lines[3].msg, lines
    assert "tried %s, %s;" % (first.group(1), second.group(1)) in lines[4].msg, lines
    # A second request while both are in error: every member is in error, so the lb forces a
    # recovery once and both refuse again. They were already reported: the request writes just
    # its one error line (the retries go to debug).
    since = H.log_size("jk.log")
    outcome, _, _ = one_request("/down/y.jsp")
    lines2, bad = wait_lines(H, since, 1, timeout=5, stamp_re=DEFAULT_STAMP_RE)
    fence("lb_down again")
    assert outcome == 503 and not bad, (outcome, bad)
    note("lb_down again: GET /down/y.jsp -> %s; %d line(s):" % (outcome, len(lines2)))
    for l in lines2:
        note("    [%s] %s" % (l.level, l.msg))
    want = [
        ("error", r"lb lb_down: all members failed for GET /down/y\.jsp \(tried (d1, d2|d2, d1); d1 ERR, d2 ERR\) → 503"),
    ]
    rest = [(l.level, l.msg) for l in lines2]
    assert len(rest) == len(want) and all(lv == wl and re.fullmatch(wr, m) for (lv, m), (wl, wr) in zip(rest, want)), \
        "second request: %s" % lines2
