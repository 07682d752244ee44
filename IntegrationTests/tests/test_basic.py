"""Basic forwarding through one ajp13 worker to one Tomcat with an AJP secret.

httpd maps /*.jsp to worker1; everything else is httpd's own (index.html from DocumentRoot).
"""

import hashlib
import os
import socket
import time

from harness import (INDEX_MARKER, Httpd, Tomcat, ajp13_worker_lines, http, module_so, note,
                     require_tools)

SECRET = "basic-secret-0123"
TC = HTTPD = None


def setup_module():
    global TC, HTTPD
    require_tools()
    so = module_so()
    TC = Tomcat("basic", "tc1", secret=SECRET)
    TC.start()
    ready = TC.wait_ready(60)
    compiled = TC.precompile()
    workers = "worker.list=worker1\n" + "\n".join(ajp13_worker_lines(TC, name="worker1")) + "\n"
    HTTPD = Httpd(so, workers_properties=workers, jk_directives="JkMount /*.jsp worker1")
    HTTPD.configtest_and_start()
    note("tomcat ready %.2fs, JSP precompile %.2fs, httpd start %.2fs"
         % (ready, compiled, HTTPD.timings["start"]))


def teardown_module():
    if HTTPD:
        HTTPD.stop()
    if TC:
        TC.stop()


def test_get_hello():
    r = http.get(HTTPD.url("/hello.jsp"))
    assert r.status == 200, r
    assert r.body == b"hello\n", r.body
    assert r.header("Content-Type", "").startswith("text/plain"), r.headers


def test_head_hello():
    r = http.request("HEAD", HTTPD.url("/hello.jsp"))
    assert r.status == 200, r
    assert r.body == b"", r.body


def test_missing_jsp_is_tomcats_404():
    before = TC.access_log().count("/missing.jsp")
    r = http.get(HTTPD.url("/missing.jsp"))
    assert r.status == 404, r
    # Tomcat's own 404 (the request reached Tomcat), not httpd's.
    TC.wait_access_count("/missing.jsp", before + 1)


def test_static_index_served_by_httpd():
    since = HTTPD.log_size("access.log")
    r = http.get(HTTPD.url("/index.html?static"))
    assert r.status == 200, r
    assert INDEX_MARKER in r.text, r.text
    entry = HTTPD.wait_access_entry(lambda e: "/index.html?static" in e["request"], since)
    assert entry["worker"] == "-", entry   # no JK worker note: httpd served it itself
    assert "/index.html" not in TC.access_log(), "index.html was forwarded to Tomcat"


def test_jk_notes_in_access_log():
    since = HTTPD.log_size("access.log")
    http.get(HTTPD.url("/hello.jsp?note"))
    entry = HTTPD.wait_access_entry(lambda e: "/hello.jsp?note" in e["request"], since)
    assert entry["worker"] == "worker1", entry


def test_post_5mib_content_length():
    body = os.urandom(5 * 1024 * 1024)
    r = http.request("POST", HTTPD.url("/post.jsp"), body=body,
                     headers={"Content-Type": "application/octet-stream"}, timeout=60)
    assert r.status == 200, r
    kv = r.kv()
    assert kv["length"] == str(len(body)), kv
    assert kv["sha256"] == hashlib.sha256(body).hexdigest(), kv
    assert kv["contentLength"] == str(len(body)), kv


def test_post_5mib_chunked():
    body = os.urandom(5 * 1024 * 1024)
    r = http.chunked_upload(HTTPD.url("/post.jsp"), body, chunk_size=100_000,
                            headers={"Content-Type": "application/octet-stream"})
    assert r.status == 200, r
    kv = r.kv()
    assert kv["length"] == str(len(body)), kv
    assert kv["sha256"] == hashlib.sha256(body).hexdigest(), kv
    assert kv["contentLength"] == "-1", kv   # Tomcat sees unknown length (docs/modjk-behaviour.md §11.1 e2)


def test_get_1mib_intact_with_content_length():
    r = http.get(HTTPD.url("/big.jsp"), timeout=60)
    assert r.status == 200, r
    assert len(r.body) == 1048576, len(r.body)
    assert r.header("Content-Length") == "1048576", r.headers
    assert r.sha256() == r.header("X-Body-Sha256"), r.headers
    expected = bytes((i * 31) % 251 for i in range(1048576))
    assert r.body == expected


def test_status_line_carries_ajp_reason():
    raw = http.raw_request(HTTPD.port, b"GET /hello.jsp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                       b"Connection: close\r\n\r\n")
    status_line, headers, body = http.parse_raw_response(raw)
    # Tomcat puts the numeric code in the AJP reason string; the front end passes it on (docs/modjk-behaviour.md §5.5).
    assert status_line == "HTTP/1.1 200 200", status_line
    assert body == b"hello\n", body


def test_echo_sees_client_connection_and_headers():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        client_port = s.getsockname()[1]
        s.settimeout(10)
        s.connect(("127.0.0.1", HTTPD.port))
        s.sendall(b"GET /echo.jsp?a=1&b=%20x HTTP/1.1\r\nHost: front.example:8443\r\n"
                  b"X-First: 1\r\nX-Second: 2\r\nConnection: close\r\n\r\n")
        raw = b""
        while len(raw) < 1 << 20:
            chunk = s.recv(65536)
            if not chunk:
                break
            raw += chunk
    status, _, body = http.parse_raw_response(raw)
    assert status.startswith("HTTP/1.1 200"), status
    lines = body.decode().splitlines()
    kv = dict(l.split("=", 1) for l in lines if "=" in l)
    assert kv["method"] == "GET" and kv["requestURI"] == "/echo.jsp", kv
    assert kv["queryString"] == "a=1&b=%20x", kv
    assert kv["remoteAddr"] == "127.0.0.1", kv
    # AJP_REMOTE_PORT / AJP_LOCAL_ADDR are consumed by Tomcat into getRemotePort/getLocalAddr.
    assert kv["remotePort"] == str(client_port), (kv, client_port)
    assert kv["localAddr"] == "127.0.0.1", kv
    # server_name/server_port come from the Host header (httpd's UseCanonicalName Off), not
    # from the listening socket: 8443 here although httpd listens elsewhere; 80 if Host has no
    # port. Tomcat reports the same value as getLocalPort() (AJP carries no local port).
    assert kv["serverName"] == "front.example", kv
    assert kv["serverPort"] == "8443" and kv["localPort"] == "8443", kv
    assert kv["scheme"] == "http" and kv["isSecure"] == "false", kv
    assert kv["contentLength"] == "0", kv           # content-length: 0 on a body-less GET
    headers = [l.split("=", 1)[0] for l in lines if l.startswith("header.")]
    assert headers[:3] == ["header.host", "header.x-first", "header.x-second"], headers
    assert kv["header.host"] == "front.example:8443", kv
    assert kv.get("attr.JK_LB_ACTIVATION") == "ACT", kv   # sent even by a plain ajp13 worker
    assert kv["node"] == "tc1", kv


def test_flushed_part_streams_before_end():
    with socket.create_connection(("127.0.0.1", HTTPD.port), timeout=10) as s:
        t0 = time.monotonic()
        s.sendall(b"GET /flush.jsp?ms=800 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        raw = b""
        while b"part1" not in raw and time.monotonic() - t0 < 5:
            raw += s.recv(4096)
        first = time.monotonic() - t0
        while b"part2" not in raw and time.monotonic() - t0 < 5:
            raw += s.recv(4096)
        second = time.monotonic() - t0
    assert first < 0.5, "part1 arrived only after %.3fs" % first
    assert second >= 0.8, second


def test_pooled_ajp_connections_reused():
    with http.Client(HTTPD.port) as c:
        for _ in range(20):
            assert c.get("/hello.jsp").status == 200
        kids = HTTPD.children()
        fds_before = sum(HTTPD.fd_count(p) for p in kids)
        conns_before = HTTPD.established_conns_to(TC.ajp_port)
        for _ in range(100):
            assert c.get("/hello.jsp").status == 200
    conns = HTTPD.established_conns_to(TC.ajp_port)
    fds = sum(HTTPD.fd_count(p) for p in kids)
    # Sequential requests reuse pooled connections: at most one or two per child, not one per
    # request; and no descriptor leak.
    assert 1 <= conns <= 2 * len(kids), (conns_before, conns, kids)
    assert fds <= fds_before + len(kids), (fds_before, fds)


def test_graceful_restart_keeps_serving():
    since = HTTPD.log_size("error.log")
    HTTPD.graceful()
    r = http.get(HTTPD.url("/hello.jsp"))
    assert r.status == 200 and r.body == b"hello\n", r
    # this restart's line, not the one from start-up (bounded wait: httpd writes it after forking)
    deadline = time.monotonic() + 5
    while "resuming normal operations" not in HTTPD.error_log(since) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "resuming normal operations" in HTTPD.error_log(since), HTTPD.error_log(since)[-500:]


def test_hard_restart_keeps_serving():
    old = set(HTTPD.children())
    HTTPD.restart()
    assert not old & set(HTTPD.children()), "old children survived SIGHUP"
    r = http.get(HTTPD.url("/hello.jsp"))
    assert r.status == 200 and r.body == b"hello\n", r
