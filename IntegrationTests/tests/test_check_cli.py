"""`swiftjk check`, the configuration checker (Sources/swiftjk, Sources/JKConfig/ConfigurationLint.swift).

1. The classic deployment of classic-deployment.md (httpd.conf + workers.properties, paths
   moved into a temporary directory): the resolved lb worker `worker1` and its members was1 and
   was2 with route and lbfactor, the jvmRoute each Tomcat must have, the mount, the double
   JkLogFile at info level, and no error.
2. A configuration with the classic traps: every diagnostic with its text, severity and file:line.
3. A misspelt worker property (`sticky_sesion`): both `swiftjk check` and `apache2 -t` with
   mod_swiftjk.so fail, naming file:line and "did you mean sticky_session".

Expected diagnostics are rows (severity, file, lines, text); a row marked "bug" is a known
SwiftJK defect: reported with note(), not failed.
"""

import os
import pathlib
import re
import subprocess

from harness import REFERENCE_MODULE, NotApplicable, Httpd, SkipTest, is_reference, module_so, note, rundir

SWIFTJK = pathlib.Path(__file__).resolve().parents[2] / "swiftjk"

CLASSIC_HTTPD_CONF = """\
ServerRoot "{root}"
DocumentRoot "{root}/WebContent"
LoadModule    jk_module  {module}
JkWorkersFile {root}/conf/workers.properties
JkShmFile     {root}/logs/mod_jk.shm
JkLogFile     {root}/logs/mod_jk.log
JkLogFile logs/jk.log
JkLogLevel    debug
JkLogStampFormat "[%a %b %d %H:%M:%S %Y] "
JkMount  /*.jsp worker1
"""

# Verbatim from classic-deployment.md (production addresses kept: nothing connects to them).
CLASSIC_WORKERS = """\
worker.list=worker1
worker.worker1.type=lb
worker.worker1.balance_workers=was1,was2
#worker.worker1.sticky_session=true
worker.worker1.sticky_session=1

worker.was1.type=ajp13
worker.was1.host=192.168.0.23
worker.was1.port=8009
worker.was1.lbfactor=1

worker.was2.type=ajp13
worker.was2.host=192.168.0.24
worker.was2.port=8009
worker.was2.lbfactor=1
"""

TRAPS_HTTPD_CONF = """\
ServerRoot "{root}"
Listen 127.0.0.1:8080
JkWorkersFile conf/workers.properties
JkLogFile logs/jk.log
JkMount /*.jsp lb
JkMount /report/* reports
JkEnvVar SSL_CLIENT_S_DN
<VirtualHost 127.0.0.1:8080>
    ServerName shop.example
</VirtualHost>
<VirtualHost 127.0.0.1:8080>
    ServerName admin.example
    JkMountCopy Off
</VirtualHost>
<VirtualHost 127.0.0.1:8080>
    ServerName ok.example
    JkMountCopy On
    JkMount /renamed/* lb2
</VirtualHost>
"""

TRAPS_WORKERS = """\
worker.list=lb,lb2,single
worker.lb.type=lb
worker.lb.balance_workers=m1,m2,m3
worker.m1.type=ajp13
worker.m1.host=127.0.0.1
worker.m1.port=8009
worker.m1.secret=s3cret
worker.m1.route=tc1
worker.m2.type=ajp13
worker.m2.host=127.0.0.1
worker.m2.port=8010
worker.m2.secret=s3cret
worker.m2.route=tc1
worker.m3.type=ajp13
worker.m3.host=127.0.0.1
worker.m3.port=8011
worker.m3.secret=s3cret
worker.m3.route=tc3:8011
worker.single.type=ajp13
worker.single.host=127.0.0.1
worker.single.port=8012
worker.lb2.type=lb
worker.lb2.balance_workers=n1,n2
worker.n1.type=ajp13
worker.n1.port=8013
worker.n1.secret=s3cret
worker.n1.route=alpha
worker.n2.type=ajp13
worker.n2.port=8014
worker.n2.secret=s3cret
worker.n2.route=beta
"""

# (severities accepted, file basename, lines accepted, text that must appear[, {"bug": ...}])
TRAP_DIAGNOSTICS = [
    # two members with one route: mod_jk aborts the configuration too (jk_lb_worker.c validate)
    ({"error"}, "workers.properties", {3},
     "lb worker 'lb': members 'm1' and 'm2' have the same route 'tc1'"),
    ({"warning"}, "httpd.conf", {6},
     "mount '/report/*' names worker 'reports', which is not defined; such requests are answered 500 (as mod_jk does)"),
    # a vhost with no Jk directive and one with JkMountCopy Off, main server with mounts
    ({"warning"}, "httpd.conf", {8},
     "has no JkMount while the main server has 2: nothing is forwarded there; "
     "add 'JkMountCopy On' in it (or 'JkMountCopy All' in the main server)"),
    ({"warning"}, "httpd.conf", {11},
     "has no JkMount while the main server has 2: nothing is forwarded there; "
     "add 'JkMountCopy On' in it (or 'JkMountCopy All' in the main server)"),
    # the worker's first line (14) today; its route= line (18) would do as well
    ({"warning"}, "workers.properties", {14, 18},
     "lb 'lb': member 'm3' has route 'tc3:8011', which is not a plausible jvmRoute"),
    ({"warning"}, "workers.properties", {19},
     "ajp13 worker 'single' has no secret: Tomcat 9.0.31+ refuses AJP without one unless its "
     "connector sets secretRequired=\"false\" (set worker.single.secret to the connector's secret)"),
    ({"warning"}, "httpd.conf", {7},
     "JkEnvVar SSL_CLIENT_S_DN: Tomcat answers 403 to requests carrying unknown attributes unless "
     "its AJP connector's allowedRequestAttributesPattern matches 'SSL_CLIENT_S_DN'"),
    # lb members whose names differ from their routes: SwiftJK says so at info level
    ({"info", "warning"}, "workers.properties", {22},
     "lb 'lb2' sticky routes (member\u2192jvmRoute): n1\u2192alpha, n2\u2192beta; "
     "each Tomcat's <Engine jvmRoute> must equal its route"),
    ({"info", "warning"}, "workers.properties", {2},
     "lb 'lb' sticky routes (member\u2192jvmRoute): m1\u2192tc1, m2\u2192tc1, m3\u2192tc3:8011"),
]

DIAG = re.compile(r"^  (?:(?P<file>\S+?):(?P<line>\d+): )?(?P<sev>error|warning|info): (?P<msg>.*)$")


def setup_module():
    if not SWIFTJK.is_file() or not os.access(SWIFTJK, os.X_OK):
        raise SkipTest("swiftjk not built: %s" % SWIFTJK)


def check(*args):
    proc = subprocess.run([str(SWIFTJK), "check"] + [str(a) for a in args],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


def diagnostics(output):
    """The lines under "Diagnostics" as dicts: file (or None), line (int or None), sev, msg."""
    section = output.split("\nDiagnostics\n", 1)[1] if "\nDiagnostics\n" in output else ""
    found = []
    for raw in section.splitlines():
        m = DIAG.match(raw)
        if m:
            d = m.groupdict()
            d["line"] = int(d["line"]) if d["line"] else None
            found.append(d)
    return found


def write(directory, rel, text):
    p = pathlib.Path(directory) / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    p.chmod(0o644)
    return p


def classic_tree():
    root = rundir.fixture_dir("check-classic")
    for d in ("conf", "logs", "WebContent"):
        (root / d).mkdir()
    conf = write(root, "conf/httpd.conf", CLASSIC_HTTPD_CONF.format(
        root=root, module=os.environ.get("JK_MODULE_SO") or "modules/mod_swiftjk.so"))
    workers = write(root, "conf/workers.properties", CLASSIC_WORKERS)
    return root, conf, workers


def assert_classic_workers(out):
    lines = [l.rstrip() for l in out.splitlines()]
    assert "  worker1: lb" in lines, out
    assert "    members: was1 (route was1, lbfactor 1), was2 (route was2, lbfactor 1)" in lines, out
    assert any(l.startswith("    method Request, sticky_session true, sticky_session_force false")
               for l in lines), out
    assert "  was1: ajp13 192.168.0.23:8009 (not in worker.list: lb member or template)" in lines, out
    assert "  was2: ajp13 192.168.0.24:8009 (not in worker.list: lb member or template)" in lines, out
    # What each Tomcat's jvmRoute must be (the file swaps the hosts: this is how one finds out).
    assert '    192.168.0.23:8009 must have jvmRoute="was1"  (member was1)' in lines, out
    assert '    192.168.0.24:8009 must have jvmRoute="was2"  (member was2)' in lines, out


def test_classic_httpd_conf_shows_lb_and_members():
    root, conf, workers = classic_tree()
    rc, out = check(conf)
    assert rc == 0, out
    assert_classic_workers(out)
    assert re.search(r"^    1\. /\*\.jsp=worker1 \u2014 JkMount at \S*httpd\.conf:10$", out, re.M), out
    diags = diagnostics(out)
    assert not [d for d in diags if d["sev"] == "error"], out
    # one warning for all workers without a secret, at the first of them
    secrets = [(pathlib.Path(d["file"]).name, d["line"], d["msg"]) for d in diags
               if d["sev"] == "warning" and "no secret" in d["msg"]]
    assert len(secrets) == 1 and secrets[0][:2] == ("workers.properties", 7), out
    assert "ajp13 workers 'was1', 'was2' have no secret" in secrets[0][2], out
    twice = [d for d in diags if "JkLogFile given twice" in d["msg"]]
    assert len(twice) == 1 and twice[0]["sev"] == "info" and twice[0]["line"] == 7 \
        and "'logs/jk.log' replaces the one at" in twice[0]["msg"] \
        and "httpd.conf:6" in twice[0]["msg"], out
    assert out.rstrip().endswith("0 errors, 1 warning"), out
    note("classic httpd.conf: worker1 = lb over was1 (route was1, lbfactor 1) and was2 (route "
         "was2, lbfactor 1); 0 errors, 1 warning (no secret, naming both), JkLogFile twice at info")


def test_classic_workers_properties_alone():
    root, conf, workers = classic_tree()
    rc, out = check(workers)
    assert rc == 0, out
    assert_classic_workers(out)
    assert "Mounts" not in out, out
    assert out.rstrip().endswith("0 errors, 1 warning"), out


def test_traps_are_each_reported_with_file_and_line():
    root = rundir.fixture_dir("check-traps")
    conf = write(root, "conf/httpd.conf", TRAPS_HTTPD_CONF.format(root=root))
    write(root, "conf/workers.properties", TRAPS_WORKERS)
    rc, out = check(conf)
    assert rc == 1, "the duplicate route is an error: exit status 1\n" + out
    diags = diagnostics(out)
    unmatched = list(diags)
    failures, bugs = [], []
    for row in TRAP_DIAGNOSTICS:
        sevs, fname, lines, text = row[:4]
        bug = row[4]["bug"] if len(row) > 4 else None
        hits = [d for d in unmatched if text in d["msg"] and d["sev"] in sevs]
        exact = [d for d in hits if d["file"] and pathlib.Path(d["file"]).name == fname
                 and d["line"] in lines]
        if exact:
            unmatched.remove(exact[0])
            if bug:
                note("known-failing row now passes (remove its 'bug' mark): %s" % text[:60])
            continue
        if bug and hits:
            unmatched.remove(hits[0])
            bugs.append("%s -- printed as %r" % (bug, "%s:%s: %s" % (
                hits[0]["file"], hits[0]["line"], hits[0]["sev"])))
            continue
        failures.append("expected %s at %s:%s: %s\n    got: %s" % (
            "/".join(sorted(sevs)), fname, sorted(lines), text,
            [("%s:%s %s" % (d["file"], d["line"], d["sev"])) for d in hits] or "not printed"))
    for b in bugs:
        note("BUG: " + b)
    note("traps: %d diagnostics expected, %d printed, %d with the expected file:line, %d known bugs"
         % (len(TRAP_DIAGNOSTICS), len(diags), len(TRAP_DIAGNOSTICS) - len(failures) - len(bugs),
            len(bugs)))
    assert not failures, "\n".join(failures) + "\n\n" + out
    assert not unmatched, "unexpected diagnostics: %s\n%s" % (unmatched, out)
    assert out.rstrip().endswith("1 error, 6 warnings"), out
    # The vhost with JkMountCopy On (and its own mount) is not warned about.
    assert "ok.example" not in out.split("Diagnostics", 1)[1], out
    # Member names that differ from routes: the jvmRoute each Tomcat needs is spelled out.
    assert 'localhost:8013 must have jvmRoute="alpha"  (member n1)' in out, out


TYPO = "did you mean sticky_session"


def test_misspelt_property_fails_swiftjk_check():
    root, conf, workers = classic_tree()
    workers.write_text(CLASSIC_WORKERS.replace("worker.worker1.sticky_session=1",
                                               "worker.worker1.sticky_sesion=1"))
    for target in (workers, conf):
        rc, out = check(target)
        assert rc == 1, out
        errors = [d for d in diagnostics(out) if d["sev"] == "error"]
        assert len(errors) == 1, out
        e = errors[0]
        assert pathlib.Path(e["file"]).name == "workers.properties" and e["line"] == 5, out
        assert "unknown property 'sticky_sesion' in 'worker.worker1.sticky_sesion'" in e["msg"], out
        assert TYPO in e["msg"], out
        note("swiftjk check %s: %s:%d: error: %s" % (target.name, pathlib.Path(e["file"]).name,
                                                     e["line"], e["msg"]))


def test_misspelt_property_fails_apache2_t():
    so = module_so()
    if is_reference(so):
        raise NotApplicable("mod_jk reads workers.properties at start, not at apache2 -t (README)")
    good = CLASSIC_WORKERS.replace("192.168.0.23", "127.0.0.1").replace("192.168.0.24", "127.0.0.1")
    h = Httpd(so, workers_properties=good, jk_directives="JkMount /*.jsp worker1", name="check-t-ok")
    rc, out = h.configtest()
    assert rc == 0 and "Syntax OK" in out, out
    bad = good.replace("worker.worker1.sticky_session=1", "worker.worker1.sticky_sesion=1")
    h = Httpd(so, workers_properties=bad, jk_directives="JkMount /*.jsp worker1", name="check-t-typo")
    rc, out = h.configtest()
    assert rc != 0, "apache2 -t accepted sticky_sesion:\n" + out
    path = str(h.root / "conf" / "workers.properties")
    line = next((l for l in out.splitlines() if "sticky_sesion" in l), "")
    assert "%s:5:" % path in line, out
    assert "unknown property 'sticky_sesion'" in line and TYPO in line, out
    assert "Syntax OK" not in out, out
    note("apache2 -t: rc=%d, %s" % (rc, line.strip()[line.strip().find("workers.properties"):]))
    # httpd escapes non-ASCII bytes in its log: the module hands it ASCII only.
    assert "\\x" not in line, line
    # The reference, for contrast: mod_jk does not read workers.properties at -t.
    ref = Httpd(REFERENCE_MODULE, workers_properties=bad,
                jk_directives="JkMount /*.jsp worker1", name="check-t-modjk")
    rrc, rout = ref.configtest()
    note("mod_jk, same file: apache2 -t rc=%d (%s)" % (rrc, rout.strip().splitlines()[-1]))


def test_check_and_apache2_t_agree_on_a_vhost_without_jk_directives():
    """The same httpd.conf through `swiftjk check` and `apache2 -t`: both accept it (mod_jk
    does): httpd shares the main server's module config with such a vhost, and the module gives
    it its own, empty one."""
    so = module_so()
    h = Httpd(so, workers_properties="worker.list=w\nworker.w.type=ajp13\nworker.w.port=8009\n"
                                     "worker.w.secret=s\n",
              jk_directives="JkMount /*.jsp w", name="check-vhost-nojk",
              extra_conf="<VirtualHost 127.0.0.1:80>\n    ServerName plain.example\n"
                         "</VirtualHost>\n")
    h.create()
    crc, cout = check("--server-root", h.root, h.conf_file)
    assert crc == 0, cout
    assert re.search(r"httpd\.conf:\d+: warning: virtual host .* has no JkMount while the main "
                     r"server has 1", cout), cout
    rc, out = h.configtest()
    if is_reference(so):
        assert rc == 0, out
        return
    assert rc == 0, out
