"""An lb member that breaks off its response before anything reached the client (a Tomcat
killed after SEND_HEADERS, or after a few body bytes): an idempotent request is replayed on the
other member and the client gets that member's complete answer, never a 502 and never the dead
member's partial bytes glued in front. Once bytes were committed to the client, or with
recovery_options 2, there is no replay.

Scripted members (harness/fakeajp.py): `f1` breaks, `f2` answers correctly. The request carries
a session cookie routed to f1 so f1 is always tried first.
"""

from harness import Httpd, NotApplicable, http, is_reference, module_so, note, require_tools
from harness.fakeajp import FakeAJP, body_chunk, send_headers

H = FAKES = None


def headers_then_close(fake, conn, payload):
    conn.sendall(send_headers(200, headers=[("Content-Type", "text/plain"), ("Content-Length", "12")]))
    return False


def some_body_then_close(fake, conn, payload):
    conn.sendall(send_headers(200, headers=[("Content-Type", "text/plain"), ("Content-Length", "5000")])
                 + body_chunk(b"x" * 1000))
    return False


def committed_then_close(fake, conn, payload):
    # More than httpd buffers (8000 bytes): the headers and a first part reach the client.
    conn.sendall(send_headers(200, headers=[("Content-Type", "text/plain"), ("Content-Length", "100000")])
                 + body_chunk(b"y" * 8000) + body_chunk(b"y" * 8000))
    return False


BREAKERS = {"headers": headers_then_close, "somebody": some_body_then_close, "committed": committed_then_close}


def setup_module():
    global H, FAKES
    require_tools()
    so = module_so()
    if is_reference(so):
        raise NotApplicable("SwiftJK's replay policy")
    FAKES = {name: FakeAJP(fn, name="f1-" + name).start() for name, fn in BREAKERS.items()}
    FAKES["good"] = FakeAJP("ok", name="f2").start()
    lines = ["worker.list=" + ",".join("lb_" + n for n in BREAKERS) + ",lb_norecover,lb_rohdr"]
    for name in BREAKERS:
        lines += ["worker.lb_%s.type=lb" % name, "worker.lb_%s.balance_workers=b_%s,g_%s" % (name, name, name),
                  "worker.b_%s.port=%d" % (name, FAKES[name].port), "worker.b_%s.route=f1" % name,
                  "worker.g_%s.port=%d" % (name, FAKES["good"].port), "worker.g_%s.route=f2" % name]
    lines += ["worker.lb_norecover.type=lb", "worker.lb_norecover.balance_workers=n1,n2",
              "worker.n1.port=%d" % FAKES["headers"].port, "worker.n1.route=f1", "worker.n1.recovery_options=2",
              "worker.n2.port=%d" % FAKES["good"].port, "worker.n2.route=f2"]
    # recovery_options 1 stops a failover only before the container's headers (mod_jk 1.2.48).
    lines += ["worker.lb_rohdr.type=lb", "worker.lb_rohdr.balance_workers=r1,r2",
              "worker.r1.port=%d" % FAKES["headers"].port, "worker.r1.route=f1", "worker.r1.recovery_options=1",
              "worker.r2.port=%d" % FAKES["good"].port, "worker.r2.route=f2"]
    mounts = "\n".join("JkMount /%s/* lb_%s" % (n, n) for n in BREAKERS) + "\nJkMount /norecover/* lb_norecover"
    mounts += "\nJkMount /rohdr/* lb_rohdr"
    H = Httpd(so, workers_properties="\n".join(lines) + "\n", jk_directives=mounts, name="httpd-replay")
    H.start()


def teardown_module():
    if H:
        H.stop()
    for fake in (FAKES or {}).values():
        fake.stop()


def get(path):
    return http.get(H.url(path), headers={"Cookie": "JSESSIONID=abc.f1"}, timeout=10)


def expect_replayed(name):
    good = FAKES["good"].stats()["requests"]
    r = get("/%s/x.jsp" % name)
    note("%s: %s %r (bad member requests %d, good member +%d)" % (
        name, r.status, r.body[:20], FAKES[name].stats()["requests"], FAKES["good"].stats()["requests"] - good))
    assert r.status == 200, r
    assert r.body == b"fake-ajp-ok\n", r.body[:100]
    assert r.header("Content-Length") == str(len(b"fake-ajp-ok\n")), r.headers
    assert FAKES["good"].stats()["requests"] == good + 1


def test_headers_then_close_is_replayed():
    expect_replayed("headers")


def test_a_few_buffered_body_bytes_then_close_is_replayed():
    expect_replayed("somebody")


def test_committed_response_is_not_replayed():
    """The client gets the dead member's headers and the first 16,000 bytes, then the connection
    closes short of Content-Length (the truncation shows); nothing is replayed and no child dies."""
    good = FAKES["good"].stats()["requests"]
    errors_before = H.log_size("error.log")
    raw = http.raw_request(H.port, b"GET /committed/x.jsp HTTP/1.1\r\nHost: replay.test\r\n"
                                   b"Cookie: JSESSIONID=abc.f1\r\nConnection: close\r\n\r\n", timeout=10)
    head, _, body = raw.partition(b"\r\n\r\n")
    note("committed: %r, %d body bytes" % (head.split(b"\r\n", 1)[0], len(body)))
    assert head.startswith(b"HTTP/1.1 200"), head[:200]
    assert b"content-length: 100000" in head.lower(), head
    assert 8000 <= len(body) < 100000, "expected a truncated body (the committed part), got %d bytes" % len(body)
    assert set(body) == {ord("y")}, "only the dead member's bytes, nothing glued in"
    assert FAKES["good"].stats()["requests"] == good, "a committed response must not be replayed"
    crashed = [l for l in H.error_log(since=errors_before).splitlines() if "exit signal" in l or "Segmentation" in l]
    assert not crashed, crashed


def test_recovery_options_1_replays_a_get_whose_headers_arrived():
    """mod_jk 1.2.48 checks bit 1 only while no headers have arrived: a GET whose member sent
    headers and died (nothing committed) goes to the other member."""
    expect_replayed_at("/rohdr/x.jsp")


def expect_replayed_at(path):
    good = FAKES["good"].stats()["requests"]
    r = get(path)
    assert r.status == 200 and r.body == b"fake-ajp-ok\n", r
    assert FAKES["good"].stats()["requests"] == good + 1


def test_recovery_options_2_forbids_the_replay():
    good = FAKES["good"].stats()["requests"]
    r = get("/norecover/x.jsp")
    note("recovery_options=2: %s" % r.status)
    assert r.status == 502, r
    assert FAKES["good"].stats()["requests"] == good
