"""A session id in a log is a credential: at JkLogLevel trace (hex dumps of every packet) and
debug (one line per request), a 20-request sticky session against a real Tomcat leaves no trace
of its id in the jk log — not the Set-Cookie Tomcat sends (AJP code 0xA007), not the Cookie the
client returns, not a `;jsessionid=` path parameter or a `jsessionid=` query parameter — while
the request lines are all there.
"""

import re
import time

from harness import Httpd, Tomcat, ajp13_worker_lines, http, module_so, note, require_tools

TC = H = None


def setup_module():
    global TC, H
    require_tools()
    TC = Tomcat("mask", "was1", secret="mask-secret-7").start_ready()
    workers = "worker.list=w\n" + "\n".join(ajp13_worker_lines(TC, name="w")) + "\n"
    H = Httpd(module_so(), workers_properties=workers, jk_directives="JkMount /*.jsp w", log_level="trace",
              name="httpd-mask")
    H.configtest_and_start()


def teardown_module():
    if H:
        H.stop()
    if TC:
        TC.stop()


def test_trace_log_of_a_sticky_session_has_no_session_id():
    jar = http.CookieJar()
    for _ in range(18):
        r = http.get(H.url("/session.jsp"), jar=jar, timeout=30)
        assert r.status == 200, (r, r.text)
    session = jar.jsessionid
    assert session and session.endswith(".was1"), session
    ident = session.split(".")[0]
    # The same session named in the URI, as a client without cookies would.
    r = http.get(H.url("/session.jsp;jsessionid=%s" % session), timeout=30)
    assert r.status == 200, r
    r = http.get(H.url("/session.jsp?jsessionid=%s&x=1" % session), timeout=30)
    assert r.status == 200, r
    deadline = time.time() + 10
    text = ""
    while time.time() < deadline:
        text = H.jk_log()
        if len(re.findall(r"\] GET /session\.jsp", text)) >= 20:
            break
        time.sleep(0.1)
    request_lines = [l for l in text.splitlines() if re.search(r"\] GET /session\.jsp", l)]
    note("%d request lines, %d trace lines, session %s…" % (len(request_lines), text.count("[trace]"), ident[:6]))
    assert len(request_lines) == 20, "the 20 request lines must be in the log:\n%s" % "\n".join(request_lines)
    assert "FORWARD_REQUEST" in text and "SEND_HEADERS" in text, "expected trace dumps"
    hexes = "".join(re.sub(r"[^0-9A-F]", "", line.split("] ", 3)[-1].split("  - ", 1)[0][4:])
                    for line in text.splitlines() if "  - " in line)
    ascii_column = "".join(line.split("  - ", 1)[1] for line in text.splitlines() if "  - " in line)
    for what in (ident, ident[:16], ident[-16:]):
        assert what not in text, "session id %s… in the jk log" % what[:6]
        assert what not in ascii_column
        assert what.encode().hex().upper() not in hexes, "session id %s… in a hex dump" % what[:6]
    assert any("jsessionid=*" in l for l in request_lines), "the masked path parameter should show"
