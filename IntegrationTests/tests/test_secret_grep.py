"""The AJP secret is never written anywhere but the configuration it came from.

Runs last (it declares RUN_LAST, which run.py honours), so the run directory holds every log the
suite wrote in this run: jk logs, httpd error and access logs, catalina.out, Tomcat access logs,
shm files.

1. A run of its own at JkLogLevel trace (hex dumps of every AJP packet) with secrets on an ajp13
   worker to a real Tomcat, on an ajp13 worker to a recording fake, on an lb (inherited by its
   member) and a wrong one rejected by Tomcat. The dumped FORWARD_REQUESTs must carry the secret
   attribute (0x0C) masked with '*' -- checked on the bytes rebuilt from the hex column and on
   the ASCII column joined across dump lines -- while the fake received the real secret.
2. Every AJP secret used by any test file (string literals assigned to a name containing
   "secret", `secret="..."` arguments, `secret=...` in workers.properties text of tests/*.py)
   plus this file's own is searched in every file of the run directory: as bytes, as a hex
   dump's hex column (rebuilt across lines) and as its ASCII column. The only files allowed to
   contain one are the configuration inputs the harness wrote (<fixture>/conf/...: httpd.conf,
   workers.properties, server.xml).
"""

import os
import pathlib
import re
import struct

from harness import Httpd, NotApplicable, Tomcat, http, is_reference, module_so, note, require_tools, rundir
from harness.fakeajp import FakeAJP, attribute
from harness.jklog import HEXDUMP_RE, hexdumps, parse

# After every other file: the logs of the whole run are searched.
RUN_LAST = True

ZZ_TOMCAT_SECRET = "zz-tomcat-secret-90af17"
ZZ_FAKE_SECRET = "zz-fake-secret-7c0e2b"
ZZ_LB_SECRET = "zz-lb-inherited-secret-4d21"
ZZ_WRONG_SECRET = "zz-wrong-secret-b8836e"
OWN_SECRETS = [ZZ_TOMCAT_SECRET, ZZ_FAKE_SECRET, ZZ_LB_SECRET, ZZ_WRONG_SECRET]

TESTS_DIR = pathlib.Path(__file__).resolve().parent
MIN_LEN = 6          # shorter literals ("S", "x") would match everywhere; reported, not searched

H = TC = FAKE = None


def setup_module():
    global H, TC, FAKE
    require_tools()
    so = module_so()
    if is_reference():
        return          # mod_jk prints secrets at debug/trace: no trace run of our own
    TC = Tomcat("zzsecret", "zz1", secret=ZZ_TOMCAT_SECRET)
    TC.start()
    FAKE = FakeAJP("ok", keep=20).start()
    TC.wait_ready(90)
    TC.precompile(["hello.jsp"])
    lines = ["worker.list=w_tc,w_fake,lb_fake,w_wrong",
             "worker.w_tc.type=ajp13", "worker.w_tc.host=127.0.0.1", "worker.w_tc.port=%d" % TC.ajp_port,
             "worker.w_tc.secret=%s" % ZZ_TOMCAT_SECRET,
             "worker.w_fake.type=ajp13", "worker.w_fake.host=127.0.0.1", "worker.w_fake.port=%d" % FAKE.port,
             "worker.w_fake.secret=%s" % ZZ_FAKE_SECRET,
             "worker.m_fake.type=ajp13", "worker.m_fake.host=127.0.0.1", "worker.m_fake.port=%d" % FAKE.port,
             "worker.lb_fake.type=lb", "worker.lb_fake.balance_workers=m_fake",
             "worker.lb_fake.secret=%s" % ZZ_LB_SECRET,
             "worker.w_wrong.type=ajp13", "worker.w_wrong.host=127.0.0.1", "worker.w_wrong.port=%d" % TC.ajp_port,
             "worker.w_wrong.secret=%s" % ZZ_WRONG_SECRET]
    mounts = "\n".join(["JkMount /hello.jsp w_tc", "JkMount /fake/* w_fake", "JkMount /lbfake/* lb_fake",
                        "JkMount /wrong/* w_wrong"])
    H = Httpd(so, workers_properties="\n".join(lines) + "\n", jk_directives=mounts, log_level="trace",
              httpd_log_level="debug", name="httpd-zz-trace")
    H.configtest_and_start()


def teardown_module():
    stop_fixtures()


def stop_fixtures():
    global H, TC, FAKE
    if H:
        H.stop()
        H = None
    if FAKE:
        FAKE.stop()
        FAKE = None
    if TC:
        TC.stop()
        TC = None


# ------------------------------------------------------------------ secrets of the suite

LITERAL_PATTERNS = [
    # SECRET = "x", TOMCAT_SECRET = 'x', secret="x" (keyword argument)
    re.compile(r"""\b\w*secret\w*\s*=\s*b?["']([\w.~+/@:=-]+)["']""", re.I),
    # worker.<w>.secret=x inside workers.properties text
    re.compile(r"""\.secret=([\w.~+/@:-]+)"""),
    # "secret": "x" in dicts (connector attributes)
    re.compile(r"""["']secret["']\s*:\s*["']([\w.~+/@:=-]+)["']"""),
]


def suite_secrets():
    """{secret: [files]} for every literal secret in tests/*.py, plus this file's own."""
    found = {}
    for path in sorted(TESTS_DIR.glob("test_*.py")):
        text = path.read_text(errors="replace")
        for rx in LITERAL_PATTERNS:
            for m in rx.finditer(text):
                found.setdefault(m.group(1), set()).add(path.name)
    for s in OWN_SECRETS:
        found.setdefault(s, set()).add(pathlib.Path(__file__).name)
    return found


# ------------------------------------------------------------------ searching files

def is_config_input(path, root):
    """A configuration file the harness wrote for a fixture: <run>/<fixture>/conf/..."""
    rel = path.relative_to(root).parts
    return len(rel) >= 3 and rel[1] == "conf"


def dump_views(text):
    """Rebuild hex dumps found in any text (jk-log message or not): one (bytes, ascii) per
    dumped packet, from lines that contain the dump layout."""
    class L:
        __slots__ = ("msg",)

        def __init__(self, msg):
            self.msg = msg
    rows = []
    for line in text.splitlines():
        m = re.search(r"[0-9a-f]{4}    (?:[0-9A-F]{2} ){1,16}(?:   )* - .*$", line)
        if m:
            rows.append(L(m.group(0)))
    return hexdumps(rows)


def hits_in(data, secrets):
    """Secrets found in `data` (bytes of one file) and how: raw bytes, UTF-16, hex text on one
    line, a hex dump's hex column or ASCII column (both rebuilt across rows)."""
    hits = []
    text = data.decode("latin-1")
    views = dump_views(text) if b"    " in data else []
    for s in secrets:
        sb = s.encode()
        if sb in data:
            hits.append((s, "bytes"))
        if s.encode("utf-16-le") in data:
            hits.append((s, "utf-16"))
        hex_spaced = " ".join("%02X" % b for b in sb)
        if hex_spaced.lower() in text.lower():
            hits.append((s, "hex text"))
        if any(sb in packet for packet, _ in views):
            hits.append((s, "hex dump (hex column)"))
        if any(s in ascii_col for _, ascii_col in views):
            hits.append((s, "hex dump (ASCII column)"))
    return hits


def fake_dump(packet, prefix="[Sun Nov 29 11:39:26 2026] [1:2] [trace] "):
    """jk-log rows in PacketTrace's layout for `packet` (for the detector's self-check)."""
    rows = []
    for off in range(0, len(packet), 16):
        row = packet[off:off + 16]
        rows.append("%s%04x    %s%s - %s" % (prefix, off, "".join("%02X " % b for b in row), "   " * (16 - len(row)),
                                           "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in row)))
    return "\n".join(rows) + "\n"


# ------------------------------------------------------------------ tests

def test_detector_finds_a_planted_secret():
    """The search itself: a secret dumped across two hex-dump rows (a plain grep misses it) is
    found in the hex column and in the ASCII column; in clear it is found as bytes; the same
    packet with the secret masked is clean."""
    planted = "planted-" + "s3cr3t-0042"
    packet = (b"\x12\x34\x00\x40\x02\x02" + b"\x00" * 7 + b"\x0c" + struct.pack(">H", len(planted))
              + planted.encode() + b"\x00\xff")
    dump = fake_dump(packet)
    assert planted not in dump
    kinds = {k for _, k in hits_in(dump.encode(), [planted])}
    assert {"hex dump (hex column)", "hex dump (ASCII column)"} <= kinds, kinds
    assert hits_in(("x " + planted + " y").encode(), [planted]) == [(planted, "bytes")]
    masked = fake_dump(packet.replace(planted.encode(), b"*" * len(planted)))
    assert hits_in(masked.encode(), [planted]) == [], hits_in(masked.encode(), [planted])


def test_trace_dumps_mask_the_secret():
    if is_reference():
        raise NotApplicable("mod_jk prints the secret in clear at debug (docs/modjk-behaviour.md §6.3)")
    since = H.log_size("jk.log")
    base = "http://127.0.0.1:%d" % H.port
    r = http.get(base + "/hello.jsp")
    assert r.status == 200 and r.text == "hello\n", r       # Tomcat accepted the (masked-in-log) secret
    r = http.get(base + "/fake/x")
    assert r.status == 200, r
    r = http.get(base + "/lbfake/y")
    assert r.status == 200, r
    r = http.get(base + "/wrong/hello.jsp")
    assert r.status == 403, r
    # The fake received the real secrets: masking is only in the log.
    seen = {attribute(req, "secret") for req in FAKE.requests}
    assert {ZZ_FAKE_SECRET, ZZ_LB_SECRET} <= seen, seen
    text = H.jk_log(since)
    lines, bad = parse(text)
    assert not bad, bad[:5]
    dumps = [l for l in lines if l.level == "trace" and HEXDUMP_RE.match(l.msg)]
    packets = hexdumps(lines)
    note("trace run: %d jk.log lines, %d of them hex-dump rows, %d dumped packets" % (
        len(lines), len(dumps), len(packets)))
    assert dumps and packets, "no hex dumps at JkLogLevel trace"
    # Every FORWARD_REQUEST dump carries attribute 0x0C with the right length, all '*'.
    masked = {}
    for s in (ZZ_TOMCAT_SECRET, ZZ_FAKE_SECRET, ZZ_LB_SECRET, ZZ_WRONG_SECRET):
        attr = b"\x0c" + struct.pack(">H", len(s)) + b"*" * len(s) + b"\x00"
        masked[s] = sum(1 for p, _ in packets if p[:2] == b"\x12\x34" and p[4:5] == b"\x02" and attr in p)
    note("masked secret attributes in dumped FORWARD_REQUESTs: %s" % {k[:8] + "…": v for k, v in masked.items()})
    assert all(masked.values()), masked
    example = next(l for l in dumps if "****" in l.msg)
    note("e.g. %s" % example.raw)
    for s in OWN_SECRETS:
        assert s not in text, "secret %s in clear in the jk log" % s
    assert not hits_in(text.encode(), OWN_SECRETS), hits_in(text.encode(), OWN_SECRETS)


def test_no_secret_in_any_file_of_the_run():
    stop_fixtures()               # catalina.out and the logs are complete once they stopped
    secrets = suite_secrets()
    searched = sorted(s for s in secrets if len(s) >= MIN_LEN)
    skipped = sorted(s for s in secrets if len(s) < MIN_LEN)
    root = rundir.run_dir()
    files = scanned_bytes = 0
    leaks, inputs = [], {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = pathlib.Path(dirpath) / name
            if not path.is_file() or path.is_symlink():
                continue
            try:
                data = path.read_bytes()
            except OSError:
                continue
            files += 1
            scanned_bytes += len(data)
            hits = hits_in(data, searched)
            if not hits:
                continue
            if is_config_input(path, root):
                inputs[str(path.relative_to(root))] = sorted({s for s, _ in hits})
            else:
                leaks.append((str(path.relative_to(root)), hits))
    note("secrets searched (%d): %s" % (len(searched), ", ".join(
        "%s (%s)" % (s, ",".join(sorted(secrets[s]))) for s in searched)))
    if skipped:
        note("literals too short to search: %s" % skipped)
    note("run dir %s: %d files, %d bytes scanned; configuration inputs holding a secret "
         "(expected): %d" % (root, files, scanned_bytes, len(inputs)))
    fixtures = sorted({p.split("/")[0] for p in inputs})
    note("  in conf/ of: %s" % ", ".join(fixtures))
    assert searched, "no secrets found in the test sources"
    if is_reference() and leaks:
        for p, h in leaks[:20]:
            note("reference leaks: %s: %s" % (p, h))
        return
    assert not leaks, "secret(s) written outside configuration inputs:\n%s" % "\n".join(
        "%s: %s" % (p, h) for p, h in leaks[:20])
