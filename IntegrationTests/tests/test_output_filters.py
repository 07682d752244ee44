"""httpd's output filters in front of the module: mod_deflate (SetOutputFilter DEFLATE, and
Debian's AddOutputFilterByType DEFLATE text/html) sees the whole response before EOS, as with
mod_jk, so httpd still computes Content-Length for a compressed response; a client that does
not take gzip gets Tomcat's body and Content-Length unchanged.

One Tomcat: echo.jsp (its output buffered by the JSP, so Tomcat sends Content-Length; a padding
header makes it as long as the test wants) behind SetOutputFilter DEFLATE; big.jsp (flushes
itself, so no Content-Length can survive compression, with either module) without it.
"""

import gzip
import hashlib

from harness import Httpd, Tomcat, ajp13_worker_lines, http, module_so, note, require_tools

TC = HTTPD = None


def setup_module():
    global TC, HTTPD
    require_tools()
    so = module_so()
    TC = Tomcat("filters", "filters1")
    TC.start()
    workers = "\n".join(["worker.list=w"] + ajp13_worker_lines(TC, name="w")) + "\n"
    extra = """
<LocationMatch "^/echo\\.jsp$">
    SetOutputFilter DEFLATE
</LocationMatch>
AddOutputFilterByType DEFLATE text/html
"""
    HTTPD = Httpd(so, workers_properties=workers, jk_directives="JkMount /*.jsp w", extra_conf=extra,
                  modules=["deflate", "filter"], name="httpd-filters")
    TC.wait_ready(60)
    TC.precompile()
    HTTPD.configtest_and_start()


def teardown_module():
    if HTTPD:
        HTTPD.stop()
    if TC:
        TC.stop()


def expected(size):
    return bytes((i * 31) % 251 for i in range(size))


def test_a_compressed_response_keeps_its_content_length():
    for pad in (300, 3000, 7000):
        r = http.get(HTTPD.url("/echo.jsp"), headers={"Accept-Encoding": "gzip", "X-Pad": "p" * pad})
        assert r.status == 200, r
        note("pad %d: %s" % (pad, [(k, v) for k, v in r.headers if k.lower() in (
            "content-length", "transfer-encoding", "content-encoding")]))
        assert r.header("Content-Encoding") == "gzip", r.headers
        assert r.header("Transfer-Encoding") is None, r.headers
        assert r.header("Content-Length") == str(len(r.body)), r.headers
        text = gzip.decompress(r.body).decode()
        assert "header.x-pad=" + "p" * pad in text, text[:200]


def test_a_client_without_gzip_gets_the_body_as_tomcat_sent_it():
    r = http.get(HTTPD.url("/big.jsp?size=600"))
    assert r.status == 200, r
    assert r.header("Content-Encoding") is None and r.header("Content-Length") == "600", r.headers
    assert r.body == expected(600)
    assert r.header("X-Body-Sha256") == hashlib.sha256(r.body).hexdigest()


def test_http_1_0_keeps_content_length_when_compressed():
    raw = http.raw_request(HTTPD.port, b"GET /echo.jsp HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                                       b"Accept-Encoding: gzip\r\n\r\n")
    head = raw.split(b"\r\n\r\n", 1)[0].lower()
    assert b" 200 " in head.split(b"\r\n", 1)[0], head
    assert b"content-encoding: gzip" in head and b"content-length: " in head, head


def test_by_type_filter_on_html_without_gzip():
    """Debian's deflate.conf: AddOutputFilterByType DEFLATE text/html. A client without gzip
    (wrk, curl) gets the JSP's Content-Length."""
    r = http.get(HTTPD.url("/hello.jsp"))
    assert r.status == 200, r
    assert r.header("Content-Encoding") is None, r.headers
    assert r.header("Content-Length") == str(len(r.body)), r.headers
    z = http.get(HTTPD.url("/hello.jsp"), headers={"Accept-Encoding": "gzip"})
    assert z.status == 200, z
    assert z.header("Transfer-Encoding") is None, z.headers
    assert z.header("Content-Length") == str(len(z.body)), z.headers
    body = gzip.decompress(z.body) if z.header("Content-Encoding") == "gzip" else z.body
    assert body == r.body
