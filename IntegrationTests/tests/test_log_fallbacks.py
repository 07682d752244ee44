"""The jk log where it can go wrong, as mod_jk handles it:

  * a line that cannot be written (JkLogFile /dev/full: disk full) goes to httpd's error log
    instead of nowhere;
  * JkRequestLogFormat decodes \\t, \\n and \\\\ (a tab-separated request log);
  * a virtual host whose JkRequestLogFormat is invalid writes no request lines (not the main
    server's format);
  * at debug, a URL that is not forwarded says so (the answer to "why does my URL not reach
    Tomcat?").

One scripted backend (harness/fakeajp.py); one httpd with two virtual hosts.
"""

import time

from harness import Httpd, http, is_reference, module_so, note, ports, require_tools
from harness.fakeajp import FakeAJP

H = FAKE = None
FULL_PORT = BAD_PORT = None
DEAD = None


def setup_module():
    global H, FAKE, FULL_PORT, BAD_PORT, DEAD
    require_tools()
    FAKE = FakeAJP("ok", name="fake-logs").start()
    FULL_PORT, BAD_PORT, DEAD = ports.free_ports(3)
    workers = "\n".join(["worker.list=w,dead", "worker.w.host=127.0.0.1", "worker.w.port=%d" % FAKE.port,
                         "worker.dead.host=127.0.0.1", "worker.dead.port=%d" % DEAD]) + "\n"
    jk = 'JkMount /app/* w\nJkMount /dead/* dead\nJkRequestLogFormat "req\\t%w\\t%s\\t%U"'
    extra = f"""
Listen 127.0.0.1:{FULL_PORT}
Listen 127.0.0.1:{BAD_PORT}
<VirtualHost 127.0.0.1:{FULL_PORT}>
    ServerName full.example
    JkLogFile /dev/full
    JkLogLevel debug
    JkMount /dead/* dead
</VirtualHost>
<VirtualHost 127.0.0.1:{BAD_PORT}>
    ServerName bad.example
    JkRequestLogFormat "badfmt %w %X"
    JkMount /app/* w
</VirtualHost>
"""
    H = Httpd(module_so(), workers_properties=workers, jk_directives=jk, extra_conf=extra, name="httpd-logfallback",
              log_level="debug")
    H.configtest_and_start()


def teardown_module():
    if H:
        H.stop()
    if FAKE:
        FAKE.stop()


def wait_for(read, text, seconds=5):
    deadline = time.monotonic() + seconds
    content = read()
    while text not in content and time.monotonic() < deadline:
        time.sleep(0.05)
        content = read()
    return content


def test_a_line_the_jk_log_cannot_take_goes_to_the_error_log():
    before = len(H.error_log())
    r = http.get("http://127.0.0.1:%d/dead/x" % FULL_PORT)
    assert r.status == 503, r
    log = wait_for(lambda: H.error_log(before), str(DEAD))
    note("error log after a request logged to /dev/full: %s" % log.strip().splitlines()[-3:])
    assert str(DEAD) in log, log[-1500:]
    if not is_reference():
        assert "SwiftJK: cannot write the jk log (No space left on device)" in log, log[-1500:]


def test_request_log_format_decodes_tabs():
    r = http.get(H.url("/app/tabbed"))
    assert r.status == 200, r
    log = wait_for(H.jk_log, "/app/tabbed")
    lines = [line for line in log.splitlines() if "/app/tabbed" in line and "req" in line]
    assert lines and lines[-1].endswith("req\tw\t200\t/app/tabbed"), lines


def test_an_invalid_format_in_a_virtual_host_writes_no_request_lines():
    r = http.get("http://127.0.0.1:%d/app/fromvhost" % BAD_PORT)
    assert r.status == 200, r
    time.sleep(0.5)
    log = H.jk_log()
    assert not [line for line in log.splitlines() if "fromvhost" in line and ("req\t" in line or "badfmt" in line)], \
        log[-1500:]


def test_debug_says_why_a_url_is_not_forwarded():
    r = http.get(H.url("/static/nowhere.html"))
    assert r.status == 404, r
    log = wait_for(H.jk_log, "/static/nowhere.html")
    lines = [line for line in log.splitlines() if "/static/nowhere.html" in line]
    note("jk log at debug: %s" % lines[-1:])
    assert lines, log[-1500:]
