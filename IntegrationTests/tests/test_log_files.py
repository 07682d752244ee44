"""Where the jk log goes (issue 6): `JkLogFile "|command"` through httpd's reliable piped logs
(rotatelogs here), surviving graceful and hard restarts; a virtual host's own JkLogFile gets that
vhost's request lines; JkRequestIdIndicator's id on the request lines.
A scripted backend (harness/fakeajp.py) stands in for Tomcat.
"""

import re
import time

from harness import Httpd, http, module_so, note, ports, require_tools
from harness.fakeajp import FakeAJP

H = FAKE = None
VPORT = None


def setup_module():
    global H, FAKE, VPORT
    require_tools()
    FAKE = FakeAJP("ok", name="fake-logs").start()
    VPORT = ports.free_port()
    workers = "worker.list=w\nworker.w.port=%d\n" % FAKE.port
    H = Httpd(module_so(), workers_properties=workers, jk_directives="JkMount /app/* w\nJkMountCopy All",
              log_level="debug", name="httpd-logfiles", modules=["env"])
    H.create()
    root = H.root
    # The harness writes JkLogFile logs/jk.log; a later JkLogFile in the main server replaces it.
    H.extra_conf = f"""
JkLogFile "|/usr/bin/rotatelogs {root}/logs/piped-jk.%Y%m%d.log 86400"
SetEnv MY_REQUEST_ID fixed-id-42
JkRequestIdIndicator MY_REQUEST_ID
Listen 127.0.0.1:{VPORT}
<VirtualHost 127.0.0.1:{VPORT}>
    ServerName vhost.test
    JkLogFile logs/vhost-jk.log
    JkLogLevel debug
</VirtualHost>
"""
    H.write_config()
    H.configtest_and_start()


def teardown_module():
    if H:
        H.stop()
    if FAKE:
        FAKE.stop()


def piped_text():
    files = sorted((H.root / "logs").glob("piped-jk.*.log"))
    return "".join(f.read_text(errors="replace") for f in files)


def wait_for(source, needle, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = source()
        if needle in text:
            return text
        time.sleep(0.05)
    raise AssertionError("%r not found in:\n%s" % (needle, source()[-2000:]))


def test_piped_log_gets_request_lines_with_the_request_id():
    assert http.get(H.url("/app/one")).status == 200
    text = wait_for(piped_text, "/app/one")
    line = [l for l in text.splitlines() if "/app/one" in l][-1]
    note("piped: " + line[:160])
    assert re.match(r"\[[^\]]+\] \[\d+:\d+\] \[debug\] ", line), line
    assert "fixed-id-42" in line, line


def test_piped_log_survives_graceful_and_hard_restarts():
    H.graceful()
    assert http.get(H.url("/app/after-graceful")).status == 200
    wait_for(piped_text, "/app/after-graceful")
    H.restart()
    assert http.get(H.url("/app/after-restart")).status == 200
    wait_for(piped_text, "/app/after-restart")


def test_a_virtual_host_has_its_own_jk_log():
    r = http.get("http://127.0.0.1:%d/app/in-vhost" % VPORT, headers={"Host": "vhost.test"})
    assert r.status == 200, r
    vhost_log = lambda: (H.root / "logs" / "vhost-jk.log").read_text(errors="replace") \
        if (H.root / "logs" / "vhost-jk.log").exists() else ""
    wait_for(vhost_log, "/app/in-vhost")
    time.sleep(0.2)
    assert "/app/in-vhost" not in piped_text()


def test_trace_dumps_mask_cookie_and_authorization():
    """JkLogLevel trace writes hex dumps of every packet; Cookie, Authorization and Set-Cookie
    values are masked there (in the hex and in the ASCII column), like the secret."""
    workers = "worker.list=w\nworker.w.port=%d\nworker.w.secret=trace-secret-91\n" % FAKE.port
    h = Httpd(module_so(), workers_properties=workers, jk_directives="JkMount /app/* w", log_level="trace",
              name="httpd-trace-mask")
    h.start()
    try:
        r = http.get(h.url("/app/t"), headers={"Cookie": "JSESSIONID=SECRETSESSION42.was1",
                                               "Authorization": "Basic QWxhZGRpbjpvcGVuU2VzYW1l"})
        assert r.status == 200, r
        text = wait_for(h.jk_log, "FORWARD_REQUEST")
        time.sleep(0.2)
        text = h.jk_log()
        dumped = "".join(line.split("  - ", 1)[1] for line in text.splitlines() if "  - " in line)
        hexes = "".join(re.sub(r"[^0-9A-F]", "", line.split("] ", 3)[-1].split("  - ", 1)[0][4:])
                        for line in text.splitlines() if "  - " in line)
        for value in ("SECRETSESSION42", "QWxhZGRpbjpvcGVuU2VzYW1l", "trace-secret-91"):
            assert value not in text, value
            assert value.encode().hex().upper() not in hexes, value
        assert "Cookie" in dumped or "*****" in dumped, dumped[:400]
    finally:
        h.stop()
