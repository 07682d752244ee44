"""Differential test, side by side in one run: SwiftJK and Debian's mod_jk give the client the
same answers.

One Tomcat with an AJP secret; two httpds with byte-identical workers.properties and JkMount
(`JkMount /*.jsp worker1`, an ajp13 worker with the secret), one loading the module under test
(JK_MODULE_SO, i.e. mod_swiftjk.so) and one loading /usr/lib/apache2/modules/mod_jk.so. Every
request is sent to both, each on a fresh connection with the same bytes (the same Host
header too, since Tomcat derives server name and port from it), and the answers must agree in status
code and reason, protocol version, headers (names compared case-insensitively, values exactly;
a multiset, so duplicates such as several Set-Cookie count) and body.

Left out of the comparison: Date and Server. Normalised rather than dropped (per-request
values, not behaviour): the JSESSIONID value in Set-Cookie and the session id in counter.jsp's
body, and the client's source port in echo.jsp's body. index.html gets the same mtime in both
DocumentRoots, so Last-Modified and ETag (MTime Size) are compared as they are.
"""

import os
import re
import time

from harness import (INDEX_MARKER, REFERENCE_MODULE, Httpd, SkipTest, Tomcat, ajp13_worker_lines,
                     http, module_so, note, require_tools)

SECRET = "differential-secret-4711"
TC = SWIFT = MODJK = None

IGNORED = {"date", "server"}
HOST = "diff.example"   # Host header of every request (Tomcat's getServerName/Port come from it)
SESSION_COOKIE = re.compile(r"(JSESSIONID=)[0-9A-Fa-f]+")
BODY_NORMALISERS = [
    (re.compile(rb"^(session=)[0-9A-Fa-f]+", re.M), rb"\1<session-id>"),   # counter.jsp
    (re.compile(rb"^(remotePort=)\d+$", re.M), rb"\1<client-port>"),        # echo.jsp
]
POST_BODY = bytes((i * 7 + 3) % 256 for i in range(100_000))


def setup_module():
    global TC, SWIFT, MODJK
    require_tools()
    so = module_so()
    if not os.path.isfile(REFERENCE_MODULE):
        raise SkipTest("reference module missing: %s" % REFERENCE_MODULE)
    TC = Tomcat("diff", "tc1", secret=SECRET).start_ready()
    workers = "worker.list=worker1\n" + "\n".join(ajp13_worker_lines(TC, name="worker1")) + "\n"
    SWIFT = Httpd(so, name="httpd-swiftjk", workers_properties=workers,
                  jk_directives="JkMount /*.jsp worker1")
    MODJK = Httpd(REFERENCE_MODULE, name="httpd-modjk", workers_properties=workers,
                  jk_directives="JkMount /*.jsp worker1")
    stamp = int(time.time()) - 3600
    for h in (SWIFT, MODJK):
        h.create()
        os.utime(h.root / "htdocs" / "index.html", (stamp, stamp))
    # identical configuration apart from the module path and the ServerRoot/port
    a = SWIFT.httpd_conf().replace(str(SWIFT.root), "ROOT").replace(str(SWIFT.port), "PORT")
    b = MODJK.httpd_conf().replace(str(MODJK.root), "ROOT").replace(str(MODJK.port), "PORT")
    assert a.replace(so, "MODULE") == b.replace(REFERENCE_MODULE, "MODULE")
    for h in (SWIFT, MODJK):
        h.configtest_and_start()
    note("tomcat AJP 127.0.0.1:%d (secret); %s :%d loads %s; %s :%d loads %s; mpm %s"
         % (TC.ajp_port, SWIFT.name, SWIFT.port, so, MODJK.name, MODJK.port, REFERENCE_MODULE,
            SWIFT.mpm))


def teardown_module():
    for f in (SWIFT, MODJK, TC):
        if f:
            f.stop()


# ---------------------------------------------------------------------------- comparison

def normalised(resp):
    """(headers as a sorted list of (lower-case name, value), body) with the per-request parts
    replaced by placeholders, and the names of the headers that were ignored or normalised."""
    headers, touched = [], set()
    for name, value in resp.headers:
        key = name.lower()
        if key in IGNORED:
            touched.add(key)
            continue
        if key == "set-cookie":
            new = SESSION_COOKIE.sub(r"\1<session-id>", value)
            if new != value:
                touched.add("set-cookie:JSESSIONID")
            value = new
        headers.append((key, value))
    body = resp.body
    for pattern, repl in BODY_NORMALISERS:
        body, n = pattern.subn(repl, body)
        if n:
            touched.add("body:" + pattern.pattern.decode().split("(")[1].split("=")[0])
    return sorted(headers), body, touched


def compare(method, path, headers=None, body=None, expect_status=None, check=None):
    """Send the request to both httpds; assert they agree; print one summary line."""
    headers = list(headers or [])
    if not any(k.lower() == "host" for k, _ in headers):
        # the same request bytes to both: not each server's own host:port
        headers.insert(0, ("Host", HOST))
    answers = {}
    for h in (SWIFT, MODJK):
        answers[h.name] = http.request(method, h.url(path), headers=headers, body=body, timeout=30)
    s, m = answers[SWIFT.name], answers[MODJK.name]
    sh, sb, st = normalised(s)
    mh, mb, mt = normalised(m)
    problems = []
    if (s.status, s.reason, s.version) != (m.status, m.reason, m.version):
        problems.append("status: swiftjk HTTP/%s %d %r, mod_jk HTTP/%s %d %r"
                        % (s.version, s.status, s.reason, m.version, m.status, m.reason))
    if sh != mh:
        only_s = [x for x in sh if x not in mh]
        only_m = [x for x in mh if x not in sh]
        problems.append("headers: only swiftjk %s; only mod_jk %s" % (only_s, only_m))
    if sb != mb:
        problems.append("body: swiftjk %d bytes %r..., mod_jk %d bytes %r..."
                        % (len(sb), sb[:120], len(mb), mb[:120]))
    same_order = [k.lower() for k, _ in s.headers] == [k.lower() for k, _ in m.headers]
    note("%s %s: %s; status %d %s, %d headers, %d body bytes; normalised: %s%s"
         % (method, path, "SAME" if not problems else "DIFFERENT", s.status, s.reason,
            len(s.headers), len(s.body), ", ".join(sorted(st | mt)) or "-",
            "" if same_order else "; header order differs"))
    assert not problems, "%s %s differs:\n%s" % (method, path, "\n".join(problems))
    if expect_status is not None:
        assert s.status == expect_status, (s, s.headers)
    if check is not None:
        check(s)
    return s


# ---------------------------------------------------------------------------- the URLs

def test_get_hello_jsp():
    compare("GET", "/hello.jsp", expect_status=200, check=lambda r: r.body == b"hello\n")


def test_head_hello_jsp():
    r = compare("HEAD", "/hello.jsp", expect_status=200)
    assert r.body == b"", r.body


def test_get_page_with_headers_and_cookies():
    def check(r):
        assert [r.header("X-H-%d" % i) for i in range(1, 7)] == ["v%d" % i for i in range(1, 7)]
        assert any(c.startswith("hcookie=hv") for c in r.header_all("Set-Cookie")), r.headers
    compare("GET", "/headers.jsp?n=6", expect_status=200, check=check)


def test_head_page_with_headers_and_cookies():
    r = compare("HEAD", "/headers.jsp?n=6", expect_status=200)
    assert r.header("X-H-6") == "v6" and r.body == b"", r.headers


def test_get_session_page_new_session_cookie():
    def check(r):
        cookies = r.header_all("Set-Cookie")
        assert any(c.startswith("JSESSIONID=") and ".tc1" in c for c in cookies), cookies
        assert r.kv()["count"] == "1" and r.kv()["port"] == "80", r.text
    compare("GET", "/counter.jsp", expect_status=200, check=check)


def test_get_missing_jsp_tomcats_404():
    before = TC.access_log().count("/missing.jsp")
    compare("GET", "/missing.jsp", expect_status=404)
    TC.wait_access_count("/missing.jsp", before + 2)   # both reached Tomcat: its 404, not httpd's


def test_post_with_body():
    import hashlib
    digest = hashlib.sha256(POST_BODY).hexdigest()

    def check(r):
        kv = r.kv()
        assert kv["length"] == str(len(POST_BODY)) and kv["sha256"] == digest, kv
    compare("POST", "/post.jsp", headers=[("Content-Type", "application/octet-stream")],
            body=POST_BODY, expect_status=200, check=check)


def test_post_form_with_query_string():
    compare("POST", "/method.jsp?a=1&b=two%20words", body=b"x=1&y=%C3%A9",
            headers=[("Content-Type", "application/x-www-form-urlencoded")], expect_status=200,
            check=lambda r: r.kv()["queryString"] == "a=1&b=two%20words")


def test_get_query_string_what_tomcat_sees():
    query = "a=1&b=%20x&c=%C3%A9&d=&e=a%2Fb&f=1+2"

    def check(r):
        kv = r.kv()
        assert kv["queryString"] == query and kv["requestURI"] == "/echo.jsp", kv
        assert kv["header.x-diff"] == "1", kv
    compare("GET", "/echo.jsp?" + query, headers=[("Host", "front.example"), ("X-Diff", "1")],
            expect_status=200, check=check)


def test_get_index_html_static():
    compare("GET", "/index.html", expect_status=200, check=lambda r: INDEX_MARKER in r.text)


def test_head_index_html_static():
    compare("HEAD", "/index.html", expect_status=200)


def test_get_redirect_from_tomcat():
    compare("GET", "/status.jsp?code=302&location=/elsewhere.html", expect_status=302,
            check=lambda r: r.header("Location") == "/elsewhere.html")
