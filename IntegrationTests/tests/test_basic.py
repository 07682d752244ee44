"""Basic forwarding through one ajp13 worker to one Tomcat with an AJP secret.

httpd maps /*.jsp to worker1; everything else is httpd's own (index.html from DocumentRoot).
"""

import hashlib
import os

from harness import INDEX_MARKER, Httpd, Tomcat, ajp13_worker_lines, http, module_so, require_tools

SECRET = "basic-secret-0123"
TC = HTTPD = None


def setup_module():
    global TC, HTTPD
    require_tools()
    so = module_so()
    TC = Tomcat("basic", "tc1", secret=SECRET)
    TC.start()
    TC.wait_ready(60)
    TC.precompile()
    workers = "worker.list=worker1\n" + "\n".join(ajp13_worker_lines(TC, name="worker1")) + "\n"
    HTTPD = Httpd(so, workers_properties=workers, jk_directives="JkMount /*.jsp worker1")
    rc, out = HTTPD.configtest()
    assert rc == 0, "configtest failed: " + out
    HTTPD.start()


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
    assert TC.access_log().count("/missing.jsp") == before + 1, TC.access_log()[-500:]


def test_static_index_served_by_httpd():
    before = TC.access_log()
    r = http.get(HTTPD.url("/index.html"))
    assert r.status == 200, r
    assert INDEX_MARKER in r.text, r.text
    assert TC.access_log() == before, "index.html was forwarded to Tomcat"
    entry = HTTPD.access_entries()[-1]
    assert entry["request"].startswith("GET /index.html"), entry
    assert entry["worker"] == "-", entry   # no JK worker involved


def test_jk_notes_in_access_log():
    http.get(HTTPD.url("/hello.jsp?note"))
    entry = [e for e in HTTPD.access_entries() if "/hello.jsp?note" in e.get("request", "")][-1]
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
    assert kv["contentLength"] == "-1", kv   # Tomcat sees unknown length (§5.2 e2)


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
    # Tomcat puts the numeric code in the AJP reason string; the front end passes it on (§5.4).
    assert status_line == "HTTP/1.1 200 200", status_line
    assert body == b"hello\n", body
