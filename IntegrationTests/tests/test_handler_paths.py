"""Requests that reach the module without a JkMount, and lb rounds (issues 3 and 5):

  * `SetHandler jakarta-servlet` + `SetEnv JK_WORKER_NAME w` in a <Location>: that worker;
    with `JkWorkerIndicator` renamed, the renamed variable; without a variable no worker is
    named and httpd answers (a file on disk, else 404), as mod_jk 1.2.48;
  * `DirectoryIndex index.html index.jsp` with `JkMount /*.jsp`: a directory without an index
    file on disk goes to Tomcat as `/dir/` (mod_dir's look-up of index.jsp maps, and mod_jk
    gives the directory request to that worker); with index.jsp on disk, `/dir/index.jsp`;
  * with `JkAutoAlias`, mod_dir's look-up of an index file that is not in the webapp
    directory is not mapped (httpd answers for the directory), as mod_jk's special case;
  * `JkEnvVar` reads httpd's common variables (REMOTE_ADDR, HTTP_*), as mod_jk, and a
    variable declared twice is sent once with the later default;
  * `no-jk` set after translate (SetEnvIf in a <Location>) keeps a mounted URI away;
  * an lb with three members of which the first two tried are dead still answers from the
    third (mod_jk: up to `retries` rounds of min(members, lb_retries) attempts);
  * fail_on_status on a plain ajp13 worker answers at once, without asking Tomcat twice;
  * the JK_REQUEST_DURATION note is seconds.microseconds, as mod_jk sets it;
  * JkRequestLogFormat lines carry the stamp only, then the fields (mod_jk's request log);
  * a mapped URI's normalised form replaces r->uri, as in mod_jk: `<Location>` rules see the
    path without `;parameters` (no way past them with `;x=1`), `%U` logs it, and Tomcat is
    still sent the URI as the client wrote it.
Scripted backends (harness/fakeajp.py) stand in for Tomcat.
"""

import re
import time

from harness import Httpd, http, module_so, note, ports, require_tools
from harness.fakeajp import FakeAJP, ok_response

H = None
FAKES = {}


def status_503(fake, conn, payload):
    from harness.fakeajp import send_headers, end_response
    conn.sendall(send_headers(503, headers=[("Content-Type", "text/plain"), ("Content-Length", "0")]) + end_response(True))
    return True


def setup_module():
    global H
    require_tools()
    so = module_so()
    for name in ("a", "b", "c"):
        FAKES[name] = FakeAJP("ok", name="fake-" + name, keep=5).start()
    FAKES["s503"] = FakeAJP(status_503, name="fake-503").start()
    dead1, dead2 = ports.free_port(), ports.free_port()
    workers = "\n".join([
        "worker.list=first,second,lb3,failing",
        "worker.first.port=%d" % FAKES["a"].port,
        "worker.second.port=%d" % FAKES["b"].port,
        "worker.failing.port=%d" % FAKES["s503"].port, "worker.failing.fail_on_status=503",
        "worker.lb3.type=lb", "worker.lb3.balance_workers=d1,d2,live",
        "worker.d1.port=%d" % dead1, "worker.d2.port=%d" % dead2, "worker.live.port=%d" % FAKES["c"].port,
        "worker.live.lbfactor=1", "worker.d1.lbfactor=100", "worker.d2.lbfactor=100",
    ]) + "\n"
    jk = "\n".join([
        "JkMount /mapped/* second",
        "JkMount /lb3/* lb3",
        "JkMount /failing/* failing",
        "JkMount /idx/*.jsp first",
        "JkEnvVar REMOTE_ADDR",
        "JkEnvVar HTTP_X_FORWARDED_FOR",
        "JkEnvVar TWICE",
        "JkEnvVar TWICE later",
        "JkMount /nojk/* second",
        "JkWorkerIndicator MY_WORKER",
        'JkRequestLogFormat "%w %V %s %m %U%q %B %T"',
    ])
    extra = """
<Location /byenv>
    SetHandler jakarta-servlet
    SetEnv MY_WORKER second
</Location>
<Location /nothing>
    SetHandler jakarta-servlet
</Location>
<Location /idx>
    DirectoryIndex index.html index.jsp
</Location>
<Location /mapped/sethandler>
    SetHandler jakarta-servlet
</Location>
<Location /nojk>
    SetEnvIf Request_URI "/nojk/skip" no-jk
</Location>
<Location "/mapped/secret">
    Require all denied
</Location>
LogFormat "%r %s duration=%{JK_REQUEST_DURATION}n" jkduration
CustomLog logs/duration.log jkduration
"""
    H = Httpd(so, workers_properties=workers, jk_directives=jk, extra_conf=extra, modules=["env", "setenvif"],
              name="httpd-handler")
    H.create()
    for directory in ("idx", "idx/empty", "idx/withjsp"):
        (H.root / "htdocs" / directory).mkdir()
        (H.root / "htdocs" / directory).chmod(0o755)
    (H.root / "htdocs" / "idx" / "withjsp" / "index.jsp").write_text("on disk\n")
    (H.root / "htdocs" / "nothing").mkdir()
    (H.root / "htdocs" / "nothing" / "static.txt").write_text("static\n")
    for path in ("idx/withjsp/index.jsp", "nothing/static.txt"):
        (H.root / "htdocs" / path).chmod(0o644)
    (H.root / "htdocs" / "nothing").chmod(0o755)
    H.configtest_and_start()


def teardown_module():
    if H:
        H.stop()
    for fake in FAKES.values():
        fake.stop()


def requests_to(name):
    return FAKES[name].stats()["requests"]


def test_sethandler_with_the_renamed_worker_indicator():
    before = requests_to("b")
    r = http.get(H.url("/byenv/x"))
    assert r.status == 200 and r.body == b"fake-ajp-ok\n", r
    assert requests_to("b") == before + 1


def test_sethandler_without_a_variable_names_no_worker():
    """mod_jk 1.2.48 declines ("Into handler jakarta-servlet worker=(null)"): httpd serves the
    file, or answers 404; no backend is asked."""
    before = {name: requests_to(name) for name in ("a", "b", "c")}
    r = http.get(H.url("/nothing/x"))
    assert r.status == 404, r
    r = http.get(H.url("/nothing/static.txt"))
    assert r.status == 200 and r.body == b"static\n", r
    assert {name: requests_to(name) for name in ("a", "b", "c")} == before


def test_directory_without_index_file_goes_to_the_index_worker():
    FAKES["a"].reset()
    r = http.get(H.url("/idx/empty/"))
    assert r.status == 200 and r.body == b"fake-ajp-ok\n", r
    r = http.get(H.url("/idx/withjsp/"))
    assert r.status == 200, r
    sent = [request["uri"] for request in FAKES["a"].requests]
    assert sent == ["/idx/empty/", "/idx/withjsp/index.jsp"], sent


def test_autoalias_directory_without_index_file_stays_with_httpd():
    workers = "worker.list=first\nworker.first.port=%d\n" % FAKES["a"].port
    h = Httpd(module_so(), workers_properties=workers, name="httpd-autoalias")
    h.create()
    webapps = h.root / "webapps"
    for directory in ("", "ctx", "ctx/sub"):
        (webapps / directory).mkdir(exist_ok=True)
        (webapps / directory).chmod(0o755)
    (webapps / "ctx" / "index.jsp").write_text("jsp\n")
    (webapps / "ctx" / "index.jsp").chmod(0o644)
    h.jk_directives = "JkAutoAlias %s\nJkMount /ctx/*.jsp first\n" % webapps
    h.extra_conf = "<Directory %s>\n    Require all granted\n</Directory>\nDirectoryIndex index.html index.jsp\n" % webapps
    h.write_config()
    h.configtest_and_start()
    try:
        FAKES["a"].reset()
        r = http.get(h.url("/ctx/sub/"))
        assert r.status in (403, 404), r
        r = http.get(h.url("/ctx/"))
        assert r.status == 200, r
        sent = [request["uri"] for request in FAKES["a"].requests]
        assert sent == ["/ctx/index.jsp"], sent
    finally:
        h.stop()


def test_jkenvvar_reads_common_variables_and_one_attribute_per_name():
    FAKES["b"].reset()
    r = http.get(H.url("/mapped/env"), headers={"X-Forwarded-For": "10.0.0.9"})
    assert r.status == 200, r
    attributes = [(k, v) for k, v in FAKES["b"].requests[-1]["attributes"] if k.startswith("req_attribute:")]
    names = [k for k, _ in attributes]
    assert ("req_attribute:REMOTE_ADDR", "127.0.0.1") in attributes, attributes
    assert ("req_attribute:HTTP_X_FORWARDED_FOR", "10.0.0.9") in attributes, attributes
    assert names.count("req_attribute:TWICE") == 1 and ("req_attribute:TWICE", "later") in attributes, attributes


def test_no_jk_set_after_translate_keeps_the_request_away():
    before = requests_to("b")
    assert http.get(H.url("/nojk/skip")).status == 404
    assert http.get(H.url("/nojk/other")).status == 200
    assert requests_to("b") == before + 1


def test_lb_tries_the_third_member_when_two_are_dead():
    before = requests_to("c")
    for i in range(3):
        r = http.get(H.url("/lb3/x%d" % i))
        assert r.status == 200, (i, r)
    assert requests_to("c") == before + 3


def test_fail_on_status_on_an_ajp13_worker_is_not_retried():
    before = requests_to("s503")
    r = http.get(H.url("/failing/x"))
    note("fail_on_status 503 on ajp13: client got %d, backend asked %d time(s)" % (r.status, requests_to("s503") - before))
    assert r.status in (500, 502, 503), r
    assert requests_to("s503") == before + 1


def test_request_duration_note_is_seconds_dot_microseconds():
    http.get(H.url("/mapped/y"))
    import time
    deadline = time.time() + 5
    text = ""
    while time.time() < deadline:
        text = (H.root / "logs" / "duration.log").read_text() if (H.root / "logs" / "duration.log").exists() else ""
        if "/mapped/y" in text:
            break
        time.sleep(0.05)
    line = [l for l in text.splitlines() if "/mapped/y" in l][-1]
    assert re.search(r"duration=\d+\.\d{6}$", line), line


def test_request_log_line_has_the_stamp_only():
    import time
    http.get(H.url("/mapped/req?x=1"))
    deadline = time.time() + 5
    lines = []
    while time.time() < deadline and not lines:
        lines = [l for l in H.jk_log().splitlines() if "/mapped/req" in l]
        time.sleep(0.05)
    assert lines, H.jk_log()[-2000:]
    assert re.fullmatch(r"\[\w{3} \w{3} \d\d \d\d:\d\d:\d\d \d{4}\] second 127\.0\.0\.1 200 GET /mapped/req\?x=1 12 \d+\.\d{6}",
                        lines[-1]), lines[-1]


def test_location_rules_see_the_uri_without_path_parameters():
    import time
    for path in ("/mapped/secret", "/mapped/secret;x=1", "/mapped;a=b/secret", "/mapped/secret;jsessionid=AB.c"):
        r = http.get(H.url(path))
        assert r.status == 403, (path, r)
    FAKES["b"].reset()
    r = http.get(H.url("/mapped/open;jsessionid=AB12.node?q=1"))
    assert r.status == 200, r
    sent = FAKES["b"].requests[-1]["uri"]
    assert sent == "/mapped/open;jsessionid=AB12.node", sent
    deadline = time.time() + 5
    lines = []
    while time.time() < deadline and not lines:
        lines = [l for l in H.jk_log().splitlines() if " GET /mapped/open" in l]
        time.sleep(0.05)
    assert lines and " GET /mapped/open?q=1 " in lines[-1], lines


def test_sticky_session_force_says_so():
    """sticky_session_force: the session's member is dead, no failover, 503 with a line that
    names the setting."""
    dead = ports.free_port()
    workers = "\n".join([
        "worker.list=forced",
        "worker.forced.type=lb", "worker.forced.balance_workers=gone,alive", "worker.forced.sticky_session_force=1",
        "worker.gone.port=%d" % dead, "worker.alive.port=%d" % FAKES["c"].port,
    ]) + "\n"
    h = Httpd(module_so(), workers_properties=workers, jk_directives="JkMount /f/* forced", name="httpd-force")
    h.start()
    try:
        before = requests_to("c")
        r = http.get(h.url("/f/x"), headers={"Cookie": "JSESSIONID=S1.gone"})
        assert r.status == 503, r
        assert requests_to("c") == before, "sticky_session_force must not fail over"
        time.sleep(0.2)
        lines = [l for l in h.jk_log().splitlines() if "sticky_session_force" in l and "[error]" in l]
        note(lines[-1].split("] ", 3)[-1] if lines else "no line")
        assert len(lines) == 1, h.jk_log()[-1500:]
        assert "'gone'" in lines[0] and "(cookie)" in lines[0], lines[0]
        # An empty session cookie is no session: balanced, answered by the live member.
        r = http.get(h.url("/f/y"), headers={"Cookie": "JSESSIONID=; other=1"})
        assert r.status == 200, r
    finally:
        h.stop()
