"""The shipped configuration (top-level httpd.conf.snippet and workers.properties.example) is
valid as shipped: `apache2 -t` accepts it, and `swiftjk check` reports the lb worker1 over was1
and was2 with exit status 0.

The shipped files are never modified. They are copied into the test's own directory; in the
copy of the snippet only the four paths that point into /etc and /var (LoadModule, JkWorkersFile,
JkShmFile, JkLogFile) are rewritten, to the module under test and to the test directory. A
minimal httpd.conf Includes that copy. Every other line stays byte for byte as shipped, which
the test checks, so a later edit of the snippet is tested too.
"""

import os
import pathlib
import re
import shutil
import subprocess

from harness import SkipTest, module_so, note, rundir
from harness.httpd import APACHE2, MODULES

MAIN = pathlib.Path(__file__).resolve().parents[2]
SNIPPET = MAIN / "httpd.conf.snippet"
WORKERS = MAIN / "workers.properties.example"
SWIFTJK = MAIN / "swiftjk"

# directive -> what the copy gets instead of the shipped argument ({d} = test directory)
REWRITES = {
    "LoadModule": None,                              # filled in with the module under test
    "JkWorkersFile": "{d}/workers.properties",
    "JkShmFile": "{d}/logs/mod_jk.shm",
    "JkLogFile": "{d}/logs/mod_jk.log",
}

DIR = None
CONF = None


def rewrite_snippet(text, directory, so):
    """The snippet with the arguments of the REWRITES directives replaced; returns (text,
    {directive: count}). Comments and every other line are left exactly as they were."""
    counts = dict.fromkeys(REWRITES, 0)
    out = []
    for line in text.splitlines(keepends=True):
        m = re.match(r"^(\s*)(LoadModule|JkWorkersFile|JkShmFile|JkLogFile)(\s+)(.*?)(\s*)$",
                     line, re.S)
        if not m:
            out.append(line)
            continue
        indent, directive, gap, arg, _ = m.groups()
        if directive == "LoadModule":
            name = arg.split()[0]
            assert name == "jk_module", "LoadModule of %r in the snippet" % name
            new = "jk_module %s" % so
        else:
            new = '"%s"' % REWRITES[directive].format(d=directory)
        counts[directive] += 1
        out.append("%s%s%s%s\n" % (indent, directive, gap, new))
    return "".join(out), counts


def setup_module():
    global DIR, CONF
    if not os.path.exists(APACHE2):
        raise SkipTest("missing %s" % APACHE2)
    so = module_so()
    if not SWIFTJK.is_file():
        raise SkipTest("swiftjk CLI not built: %s" % SWIFTJK)
    DIR = rundir.fixture_dir("shipped-config")
    for d in ("logs", "htdocs"):
        (DIR / d).mkdir()
        (DIR / d).chmod(0o755)
    shutil.copyfile(WORKERS, DIR / "workers.properties")
    text, counts = rewrite_snippet(SNIPPET.read_text(), DIR, so)
    assert all(c == 1 for c in counts.values()), \
        "expected each of %s exactly once in %s, found %s" % (", ".join(REWRITES), SNIPPET, counts)
    (DIR / "swiftjk.conf").write_text(text)
    CONF = DIR / "httpd.conf"
    CONF.write_text(f"""# Minimal httpd.conf around the shipped snippet (SwiftJK integration test).
ServerRoot "{DIR}"
ServerName 127.0.0.1
DefaultRuntimeDir "{DIR}/logs"
PidFile "{DIR}/logs/httpd.pid"
Mutex file:{DIR}/logs default
LoadModule mpm_event_module {MODULES}/mod_mpm_event.so
LoadModule authz_core_module {MODULES}/mod_authz_core.so
Listen 127.0.0.1:1
DocumentRoot "{DIR}/htdocs"
ErrorLog "{DIR}/logs/error.log"
Include "{DIR}/swiftjk.conf"
""")
    for f in ("workers.properties", "swiftjk.conf", "httpd.conf"):
        (DIR / f).chmod(0o644)


def test_snippet_copy_differs_only_in_paths():
    shipped = SNIPPET.read_text().splitlines()
    copy = (DIR / "swiftjk.conf").read_text().splitlines()
    assert len(shipped) == len(copy), (len(shipped), len(copy))
    changed = [(a.strip(), b.strip()) for a, b in zip(shipped, copy) if a != b]
    assert len(changed) == len(REWRITES), changed
    assert all(a.split()[0] == b.split()[0] for a, b in changed), changed
    assert (DIR / "workers.properties").read_bytes() == WORKERS.read_bytes()
    for a, b in changed:
        note("%s -> %s" % (a, b.split(None, 1)[1]))


def test_apache2_configtest_accepts_shipped_config():
    proc = subprocess.run([APACHE2, "-d", str(DIR), "-f", str(CONF), "-t"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    out = proc.stdout.decode(errors="replace")
    assert proc.returncode == 0, "apache2 -t failed (rc=%d):\n%s" % (proc.returncode, out)
    assert "Syntax OK" in out, out
    # SwiftJK validates workers.properties during -t: the module really read the copy (a
    # worker1 typo in the snippet's JkMount would show up here as an error or a warning).
    assert not re.search(r"\berror\b", out, re.I), out
    note("apache2 -t: " + " | ".join(l.strip() for l in out.splitlines() if l.strip()))


def _check(*args):
    proc = subprocess.run([str(SWIFTJK), "check"] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=60, cwd=str(DIR))
    return proc.returncode, proc.stdout.decode(errors="replace")


def _assert_lb_report(out):
    """The report names worker1 as an lb whose members are exactly was1 and was2, and both
    members as ajp13 workers."""
    assert re.search(r"^\s*worker1: lb\s*$", out, re.M), out
    members = re.search(r"^\s*members: (.*)$", out, re.M)
    assert members, out
    names = re.findall(r"(\w+) \(route (\w+)", members.group(1))
    assert names == [("was1", "was1"), ("was2", "was2")], members.group(0)
    for member, host in (("was1", "192.168.0.24"), ("was2", "192.168.0.23")):
        assert re.search(r"^\s*%s: ajp13 %s:8009" % (member, re.escape(host)), out, re.M), out
    summary = re.search(r"^(\d+) errors?, (\d+) warnings?$", out, re.M)
    assert summary and summary.group(1) == "0", out
    return summary.group(0)


def test_swiftjk_check_workers_properties_example():
    rc, out = _check(str(WORKERS))       # the shipped file itself, read only
    assert rc == 0, "swiftjk check %s: rc=%d\n%s" % (WORKERS, rc, out)
    note("swiftjk check workers.properties.example: rc=0, %s" % _assert_lb_report(out))


def test_swiftjk_check_httpd_conf_with_snippet():
    rc, out = _check("--server-root", str(DIR), str(CONF))
    assert rc == 0, "swiftjk check %s: rc=%d\n%s" % (CONF, rc, out)
    summary = _assert_lb_report(out)
    # the mount of the snippet is seen and points at the lb
    assert re.search(r"^\s*1\. /\*\.jsp=worker1\b.*swiftjk\.conf:\d+", out, re.M), out
    note("swiftjk check httpd.conf (Include of the snippet): rc=0, %s" % summary)
