"""Bodies, flushing and packet sizes over AJP13 (issue 4: the complete AJP13 client).

Two Tomcats: `p8` with the default AJP packetSize (8 KiB) behind worker w8 (main server), and
`p64` with packetSize="65536" behind worker w64 (max_packet_size=65536, a vhost on its own
port). Through both: a 5 MiB chunked upload and a 5 MiB download arrive intact, a flushed
part arrives before the rest. With 64 KiB packets a ~40 KB request header and ~24 KB of
response headers work; the same request header through the 8 KiB worker gets 413 from the
module, with one jk-log line naming the sizes, and never reaches Tomcat.
"""

import hashlib
import os
import socket
import time

from harness import (Httpd, Tomcat, ajp13_worker_lines, http, is_reference, load, module_so, note, ports,
                     require_tools)

P8 = P64 = HTTPD = None
PORT64 = None
BIG_HEADER = 40000
FIVE_MIB = 5 * 1024 * 1024


def setup_module():
    global P8, P64, HTTPD, PORT64
    require_tools()
    so = module_so()
    P8 = Tomcat("p8", "p8")
    P64 = Tomcat("p64", "p64", packet_size=65536)
    P8.start()
    P64.start()
    PORT64 = ports.free_port()
    workers = "\n".join(["worker.list=w8,w64"] + ajp13_worker_lines(P8, name="w8") +
                        ajp13_worker_lines(P64, name="w64", extra={"max_packet_size": 65536})) + "\n"
    HTTPD = Httpd(so, workers_properties=workers, name="httpd-bodies",
                  jk_directives="JkMount /*.jsp w8",
                  extra_conf=f"""
# httpd's own limit (8190) would refuse the big header before the module sees it.
LimitRequestFieldSize 65536
Listen 127.0.0.1:{PORT64}
<VirtualHost 127.0.0.1:{PORT64}>
    ServerName 127.0.0.1
    LimitRequestFieldSize 65536
    JkMount /*.jsp w64
</VirtualHost>
""")
    for t in (P8, P64):
        t.wait_ready(60)
        t.precompile()
    HTTPD.configtest_and_start()


def teardown_module():
    if HTTPD:
        HTTPD.stop()
    for t in (P8, P64):
        if t:
            t.stop()


def url(packet, path):
    port = HTTPD.port if packet == 8 else PORT64
    return "http://127.0.0.1:%d%s" % (port, path)


def upload(packet, chunked=True):
    body = os.urandom(FIVE_MIB)
    headers = {"Content-Type": "application/octet-stream"}
    t0 = time.monotonic()
    if chunked:
        r = http.chunked_upload(url(packet, "/post.jsp"), body, chunk_size=100_000, headers=headers)
    else:
        r = http.request("POST", url(packet, "/post.jsp"), headers=headers, body=body, timeout=60)
    dt = time.monotonic() - t0
    assert r.status == 200, r
    kv = r.kv()
    assert kv["length"] == str(len(body)), kv
    assert kv["sha256"] == hashlib.sha256(body).hexdigest(), kv
    # chunked: an unknown length for Tomcat
    assert kv["contentLength"] == ("-1" if chunked else str(len(body))), kv
    assert kv["node"] == "p%d" % packet, kv
    note("5 MiB %s upload through %d KiB packets: %.3fs"
         % ("chunked" if chunked else "Content-Length", packet, dt))


def partial_reads(packet):
    """Tomcat reads part of an upload and answers; the body packets sent ahead that it never
    asked for must not reach the next request on that AJP connection. In the last case the
    unasked packet carries 600 bytes, so its first payload byte is 0x02 and Tomcat would take
    it for a FORWARD_REQUEST. Every answer, and a GET and a full upload after each, must be
    right."""
    chunk = packet * 1024 - 6                  # body bytes in a full packet
    cases = [(1024 * 1024, 0), (1024 * 1024, 5000), (1024 * 1024, 3 * chunk + 1),
             (2 * chunk + 600, chunk + 100)]
    since = HTTPD.log_size("jk.log")
    port = HTTPD.port if packet == 8 else PORT64
    with http.Client(port, timeout=30) as client:
        for i in range(12):
            size, read = cases[i % len(cases)]
            body = os.urandom(size)
            r = client.request("POST", "/partial.jsp?read=%d" % read, body=body,
                               headers={"Content-Type": "application/octet-stream"})
            assert r.status == 200, (i, r)
            assert r.kv()["read"] == str(read), (i, r.kv())
            r = client.get("/hello.jsp")
            assert r.status == 200 and r.body == b"hello\n", (i, r)
            r = client.request("POST", "/post.jsp", body=body,
                               headers={"Content-Type": "application/octet-stream"})
            assert r.status == 200, (i, r)
            assert r.kv()["sha256"] == hashlib.sha256(body).hexdigest(), (i, r.kv())
    time.sleep(0.3)
    bad = [l for l in HTTPD.jk_log(since).splitlines() if "[error]" in l or "[warn]" in l]
    assert not bad, bad


def expect_continue(packet):
    """`Expect: 100-continue`: httpd answers 100 when the module first reads the body; the
    body then arrives whole."""
    port = HTTPD.port if packet == 8 else PORT64
    body = os.urandom(300_000)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"POST /post.jsp HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                  b"Expect: 100-continue\r\nConnection: close\r\n\r\n" % len(body))
        interim = b""
        deadline = time.monotonic() + 10
        while b"\r\n\r\n" not in interim and time.monotonic() < deadline:
            part = s.recv(4096)
            if not part:
                break
            interim += part
        assert interim.startswith(b"HTTP/1.1 100"), interim[:200]
        s.sendall(body)
        raw = interim[interim.index(b"\r\n\r\n") + 4:]
        while time.monotonic() < deadline:
            part = s.recv(65536)
            if not part:
                break
            raw += part
    status, _, text = http.parse_raw_response(raw)
    assert status.startswith("HTTP/1.1 200"), raw[:300]
    kv = dict(l.split("=", 1) for l in text.decode().splitlines() if "=" in l)
    assert kv.get("sha256") == hashlib.sha256(body).hexdigest(), kv


def download(packet):
    t0 = time.monotonic()
    r = http.get(url(packet, "/big.jsp?size=%d" % FIVE_MIB), timeout=60)
    dt = time.monotonic() - t0
    assert r.status == 200, r
    assert len(r.body) == FIVE_MIB, len(r.body)
    assert r.header("Content-Length") == str(FIVE_MIB), r.headers
    assert r.sha256() == r.header("X-Body-Sha256"), r.headers
    expected = bytes((i * 31) % 251 for i in range(251)) * (FIVE_MIB // 251 + 1)
    assert r.body == expected[:FIVE_MIB]
    note("5 MiB download through %d KiB packets: %.3fs" % (packet, dt))


def flushed_parts(packet):
    port = HTTPD.port if packet == 8 else PORT64
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        t0 = time.monotonic()
        s.sendall(b"GET /flush.jsp?ms=700 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        raw = b""
        while b"part1" not in raw and time.monotonic() - t0 < 5:
            chunk = s.recv(4096)
            if not chunk:
                break
            raw += chunk
        first = time.monotonic() - t0
        assert b"part2" not in raw, "both parts came together: %r" % raw
        while b"part2" not in raw and time.monotonic() - t0 < 5:
            chunk = s.recv(4096)
            if not chunk:
                break
            raw += chunk
        second = time.monotonic() - t0
    note("flush through %d KiB packets: part1 after %.3fs, part2 after %.3fs" % (packet, first, second))
    assert first < 0.4, "part1 arrived only after %.3fs" % first
    assert second >= 0.7, second


def read_until(s, raw, done, t0):
    """Reads from `s` onto `raw` until `done(body)` or 5 s after t0 or the end; returns raw."""
    while not done(raw.split(b"\r\n\r\n", 1)[-1]) and time.monotonic() - t0 < 5:
        chunk = s.recv(65536)
        if not chunk:
            break
        raw += chunk
    return raw


def trickled_parts(packet):
    """A response whose first part comes before a pause, with no flush packet: what arrived is
    passed on before the module waits for the rest, as mod_jk does. Tomcat sends a packet each
    time its output buffer (the packet size) fills, so the first part is 2.5 packets long."""
    port = HTTPD.port if packet == 8 else PORT64
    size = packet * 1024 * 5 // 2
    expected = packet * 1024 * 2 - 100   # at least two packets' worth of body before the pause
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        t0 = time.monotonic()
        s.sendall(b"GET /trickle.jsp?size=%d&ms=700 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % size)
        raw = read_until(s, b"", lambda body: body.count(b"a") >= expected, t0)
        first = time.monotonic() - t0
        body = raw.split(b"\r\n\r\n", 1)[-1]
        before_pause = body.count(b"a")
        assert b"b" not in body, "the second part came with the first (%.3fs)" % first
        raw = read_until(s, raw, lambda body: body.count(b"b") >= size, t0)
        second = time.monotonic() - t0
    body = raw.split(b"\r\n\r\n", 1)[-1]
    note("trickle through %d KiB packets: %d bytes after %.3fs (before the pause), all %d after %.3fs"
         % (packet, before_pause, first, len(body), second))
    assert before_pause >= expected and first < 0.4, "only %d bytes within %.3fs" % (before_pause, first)
    assert second >= 0.7 and body.count(b"b") == size, (second, body.count(b"b"))


def test_trickle_passed_on_before_waiting_8k():
    trickled_parts(8)


def test_trickle_passed_on_before_waiting_64k():
    trickled_parts(64)


def test_upload_5mib_chunked_8k():
    upload(8)


def test_upload_5mib_chunked_64k():
    upload(64)


def test_upload_5mib_content_length_8k():
    upload(8, chunked=False)


def test_upload_5mib_content_length_64k():
    upload(64, chunked=False)


def test_servlet_that_stops_reading_8k():
    partial_reads(8)


def test_servlet_that_stops_reading_64k():
    partial_reads(64)


def test_expect_100_continue_8k():
    expect_continue(8)


def test_download_5mib_8k():
    download(8)


def test_download_5mib_64k():
    download(64)


def test_flush_honoured_8k():
    flushed_parts(8)


def test_flush_honoured_64k():
    flushed_parts(64)


def test_40k_request_header_with_64k_packets():
    value = "h" * BIG_HEADER
    r = http.get(url(64, "/echo.jsp"), headers={"X-Big": value})
    assert r.status == 200, r
    kv = r.kv()
    assert kv.get("header.x-big") == value, len(kv.get("header.x-big", ""))
    assert kv["node"] == "p64", kv


def test_24k_of_response_headers_with_64k_packets():
    client = load.KeepAlive(PORT64)      # raw parser: http.client stops at 100 headers
    try:
        r = client.request("GET", "/headers.jsp?n=2000")
    finally:
        client.close()
    assert r.status == 200 and r.complete, r
    got = [v for k, v in r.headers if k.lower().startswith("x-h-")]
    assert len(got) == 2000 and got[-1] == "v2000", (len(got), got[-1:])


def test_40k_request_header_with_8k_packets_is_413():
    before = P8.access_log().count("/echo.jsp?too-big")
    since = HTTPD.log_size("jk.log")
    r = http.get(url(8, "/echo.jsp?too-big"), headers={"X-Big": "h" * BIG_HEADER})
    time.sleep(0.3)
    lines = [l for l in HTTPD.jk_log(since).splitlines()
             if any("[%s]" % lvl in l for lvl in ("info", "warn", "error"))]
    note("413 case: status %d; jk.log: %s" % (r.status, lines))
    assert r.status == 413, r
    assert P8.access_log().count("/echo.jsp?too-big") == before, "the request reached Tomcat"
    if is_reference():
        return
    assert len(lines) == 1, lines
    line = lines[0]
    assert "8192" in line, line                       # the limit
    assert str(BIG_HEADER) in line, line              # the size of the culprit
    assert "x-big" in line.lower(), line              # which part did not fit
    assert "127.0.0.1:%d" % P8.ajp_port in line, line
    # The connection is still good afterwards.
    assert http.get(url(8, "/hello.jsp")).status == 200
