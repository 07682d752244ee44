"""Real-world configurations (issue 16): a corpus of deployments in the style of public ones
(Debian/Ubuntu packages, Docker images, Ansible/Puppet/cfengine roles, Windows and IIS setups,
vendor guides), each checked three ways.

The corpus: tests/data/realworld/<NN-name>/ with
  httpd.conf               the Jk part of the site's httpd configuration (Included by a minimal
                           wrapper httpd.conf; a `LoadModule jk_module` in it gets the module
                           under test)
  workers.properties       the workers
  *.properties             mount files (uriworkermap.properties, a vhost's own file ...)
  expect.txt               URIs and who must serve them, one per line:
                               <host> <uri> <expected> [cookie=NAME=VALUE] [contains=TEXT]
                           host "-" = no name (Host: 127.0.0.1); expected: a backend node
                           (nodeA..nodeD), alternatives "nodeA|nodeB" (an lb without a session),
                           "static" (not forwarded: httpd answered), or "<worker>:<status>" (a
                           JK worker answered without a backend: a status worker, or 503 when
                           no member can be reached); contains= must be in the body. A line
                           "refused" instead: httpd must refuse the configuration.
Placeholders filled in by the test: @ROOT@ (ServerRoot), @HTTP_PORT@ (httpd's port),
@PORT_A@..@PORT_D@ (the FakeAJP backends nodeA..nodeD, which answer "node=<name>" and the URI
they got). CRLF files have real \\r\\n bytes. Unresolvable host names have an empty label
(`tomcat2..invalid`): glibc rejects those without sending a DNS query, whereas a plain
`tomcat.invalid` (or `256.1.1.1`) is sent to the resolver of this machine.

For every entry:
  a. `swiftjk check` on the wrapper httpd.conf: diagnostics (file:line, severity, message);
  b. `apache2 -t` with SwiftJK: its diagnostics;
  c. httpd with SwiftJK and httpd with Debian's mod_jk on the same configuration (mod_jk's
     refusals and jk-log warnings/errors recorded), each URI of expect.txt asked of both;
  d. a and b compared.
Assertions: the diagnostics issue 16 asks for (ISSUE_DIAGS, plus rules over the whole corpus:
CRLF and directive case read alike, one "no secret" warning naming every worker, no error where
mod_jk runs the configuration); a == b except DIAG_DIFF_ALLOWED; SwiftJK routes every URI as
mod_jk does except ROUTING_ALLOWED (README "Where SwiftJK differs"); mod_jk gives expect.txt
(the corpus itself is right: expect.txt records Debian's mod_jk 1.2.48). Where the issue says
"accepted and ignored must warn", evidence that SwiftJK implements the setting (it routes or
forwards as mod_jk does where the setting matters) stands in for the warning.

The files are written by hand in the style of public deployments, not copied from them;
realworld/.gitattributes keeps their bytes (CRLF included) out of git's line-end conversion.
RW_ONLY=NN[,NN] runs only those entries (the corpus-size test is then not applicable);
RW_VERBOSE=1 lists every URI in the table. About 12 s for the 40 entries.
"""

import os
import pathlib
import re
import subprocess
import time

from harness import (NotApplicable, REFERENCE_MODULE, Httpd, HttpdError, SkipTest, http, is_reference,
                     module_so, note, ports, require_tools)
from harness.fakeajp import FakeAJP, decode_forward_request, ok_response

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "data" / "realworld"
SWIFTJK = HERE.parents[1] / "swiftjk"
NODES = {"A": "nodeA", "B": "nodeB", "C": "nodeC", "D": "nodeD"}

README_DIFFS = "README 'Where SwiftJK differs from mod_jk on purpose'"

# Entries whose routing may differ from mod_jk, with the README row that documents it. The value
# is (text SwiftJK's `apache2 -t` must print when it refuses, reason).
ROUTING_ALLOWED = {
    "37-docker-env-secret-undefined": (
        "AJP_SECRET", README_DIFFS + ", row 'Undefined $(VAR)': mod_jk leaves it as is (the "
        "literal text becomes the secret), SwiftJK refuses it with file:line"),
    "38-timeout-with-unit-suffix": (
        "30s", README_DIFFS + ", row 'Unparsable number or boolean in workers.properties': "
        "mod_jk silently reads 30 (ms), SwiftJK refuses it with file:line"),
}
# Single URIs that may differ: (entry, uri) -> (SwiftJK's outcome, reason).
ROUTING_ALLOWED_URIS = {
    ("13-source-address", "/reports/q1"): (
        "reports:503", README_DIFFS + ", row 'worker.X.source that cannot be bound': mod_jk logs the "
        "bind error and connects from another address, SwiftJK fails the connection (503)"),
    ("11-status-worker-styled", "/jkstatus-ro"): (
        "public-status:403", README_DIFFS + ", row 'Status worker': mod_jk answers its errors "
        "(here: access denied, no user) with 200, SwiftJK with 4xx"),
}

# Differences between `swiftjk check` and `apache2 -t` that are deliberate: a predicate over a
# diagnostic (dict: file, line, sev, msg) that only one of the two prints, and why.
DIAG_DIFF_ALLOWED = [
    (lambda d: d["sev"] == "info",
     "info lines (the sticky-route table of an lb) are part of swiftjk check's report; "
     "apache2 -t prints warnings and errors"),
]
# httpd escapes non-ASCII bytes in its log, so the module spells these in ASCII at apache2 -t
# (test_check_cli checks there is no \\x escape left); compared after this transliteration.
ASCII = {"\u2014": "-", "\u2192": "->", "\u2265": ">=", "\u2264": "<="}


# --------------------------------------------------------------------------- the issue's asks

def diag(file, at, sevs, pattern, issue, occurrence=1, implemented=None):
    """An expected diagnostic: in `file` (corpus name) at the line containing `at` (its
    `occurrence`-th such line, comments skipped; None = any line), severity in `sevs`, message
    matching `pattern` (regex, case-insensitive). `issue` quotes what issue 16 asks.
    implemented(res, entry) -> text or None: for "accepted and ignored must warn" items, the
    evidence that SwiftJK implements the setting instead (then no warning is needed)."""
    return {"file": file, "at": at, "sevs": set(sevs.split("|")), "pattern": pattern,
            "issue": issue, "occurrence": occurrence, "implemented": implemented}


def routes_like_mod_jk(res, entry):
    """Evidence for an implemented setting: every URI of the entry served by the same backend,
    with the same forwarded URI, as under mod_jk."""
    sw, mj = outcome_of(res, "swift"), outcome_of(res, "modjk")
    if sw == "refused" or mj == "refused" or not sw:
        return None
    if all(s[0] == m[0] and s[1] == m[1] for s, m in zip(sw, mj)):
        return "SwiftJK serves all %d URIs as mod_jk (backend and forwarded URI)" % len(sw)
    return None


def binds_source(res, entry):
    """worker.X.source: the worker whose source address is on no interface of this host cannot
    connect under SwiftJK (it binds), while the other one is served."""
    sw = outcome_of(res, "swift")
    if sw == "refused":
        return None
    got = {row["uri"]: o[0] for row, o in zip(res["rows"], sw)}
    if got.get("/billing/invoices") == "nodeA" and got.get("/reports/q1") == "reports:503":
        return ("SwiftJK binds the source address: the worker whose source (198.51.100.10) is on "
                "no interface gets 503, the one bound to 127.0.0.1 is served")
    return None


def escapes_like_mod_jk(res, entry):
    """ForwardURIEscaped: as routes_like_mod_jk, and mod_jk's forwarded URIs show the
    re-escaping (lower-case hex), so the option was exercised."""
    same = routes_like_mod_jk(res, entry)
    mj = outcome_of(res, "modjk")
    if same and any(re.search(r"%[0-9a-f][a-f]|%[a-f][0-9a-f]", m[1]) for m in mj):
        return same + ", lower-case re-escaping included"
    return None


ISSUE_DIAGS = {
    "01-debian-default-jk-conf": [
        diag("httpd.conf", "JkMount jk-status", "warning", r"jk-status",
             "warnings (not errors) for a mount naming an undefined worker"),
        diag("httpd.conf", "JkMount jk-manager", "warning", r"jk-manager",
             "warnings (not errors) for a mount naming an undefined worker"),
    ],
    "06-puppet-apache-mod-jk": [
        diag("httpd.conf", "JkLogLevel warning", "warning", r"\binfo\b",
             "`JkLogLevel warning` -> info with a warning (not a startup failure)"),
    ],
    "10-tomcat5-legacy-template": [
        diag("workers.properties", prop, "warning", re.escape(prop.split(".")[-1]),
             "deprecated names are accepted with a warning (mod_jk warns for each)")
        for prop in ("worker.ajp13.cachesize", "worker.ajp13.cache_timeout",
                     "worker.ajp13.recycle_timeout", "worker.ajp13.jvm_route",
                     "worker.ajp13.local_worker", "worker.ajp13b.jvm_route",
                     "worker.ajp13b.disabled", "worker.loadbalancer.balanced_workers",
                     "worker.loadbalancer.local_worker_only")
    ],
    "12-secretkey-ajp14-leftover": [
        diag("workers.properties", "worker.crm.secretkey", "warning", r"worker\.crm\.secret\b",
             "`secretkey` -> warning naming worker.X.secret"),
    ],
    "13-source-address": [
        diag("workers.properties", "worker.billing.source", "warning|info", r"source",
             "accepted-and-ignored things must warn: worker.X.source (should be implemented: "
             "bind the source address)", implemented=binds_source),
    ],
    "14-worker-indicator-extensions": [
        diag("httpd.conf", None, "warning", r"(JK_APP_WORKER|JkWorkerIndicator).*(extension|;)"
             r"|(extension|;).*(JK_APP_WORKER|JkWorkerIndicator)",
             "accepted-and-ignored things must warn: JkWorkerIndicator with `;ext`",
             implemented=routes_like_mod_jk),
    ],
    "15-forward-uri-escaped": [
        diag("httpd.conf", "JkOptions +ForwardURIEscaped", "warning", r"ForwardURIEscaped",
             "accepted-and-ignored things must warn: ForwardURIEscaped",
             implemented=escapes_like_mod_jk),
    ],
    "16-worker-list-no-properties": [
        diag("workers.properties", "worker.list=", "warning", r"reports",
             "a name in worker.list with no properties: one line with file:line (a warning, "
             "not an error)"),
    ],
    "17-recover-time-on-member-crlf": [
        diag("workers.properties", "worker.erp1.recover_time", "warning", r"recover_time",
             "recover_time on an lb member: one line with file:line"),
        diag("workers.properties", "worker.erp2.recover_time", "warning", r"recover_time",
             "recover_time on an lb member: one line with file:line"),
    ],
    "18-vhost-mountfile-without-copy": [
        diag("httpd.conf", None, "warning|info", r"JkMountCopy",
             "JkMountFile in a vhost without JkMountCopy: one line with file:line"),
    ],
    "19-lb-undefined-member": [
        diag("workers.properties", "balance_workers=", "warning|error", r"tomact3",
             "an lb balance_workers naming an undefined worker (file:line, and httpd should not "
             "start silently)"),
    ],
    "20-duplicate-route": [
        diag("workers.properties", None, "error", r"same route",
             "two members with the same route (file:line)"),
    ],
    "21-duplicate-host-port": [
        diag("workers.properties", None, "warning|info", r"node1.*node2|node2.*node1",
             "two members with the same host:port (say something)"),
    ],
    "22-mountfile-no-leading-slash": [
        diag("uriworkermap.properties", "examples/*=app", "warning|error", r"never match",
             "a mount pattern without leading `/` (say it can never match)"),
    ],
    "23-jkmount-no-leading-slash": [
        diag("httpd.conf", "JkMount app/admin/*", "error", r"never match",
             "JkMount pattern without leading `/` (say it can never match)"),
    ],
    "39-iis-style-star-mapping": [
        diag("uriworkermap.properties", "*.do=struts", "warning|error", r"never match",
             "a mount pattern without leading `/` (say it can never match): mod_jk drops "
             "'*.do' ('invalid context ... does not begin with /')"),
    ],
    "40-jkmount-star-extension": [
        diag("httpd.conf", "JkMount *.jsp", "error", r"never match|start with '?/'?",
             "JkMount pattern without leading `/`: mod_jk refuses it at apache2 -t (\"JkMount "
             "context should start with /\")"),
    ],
    "24-misspelt-prefixes": [
        diag("workers.properties", "workers.list=", "warning|error", r"did you mean worker\.",
             "misspelt prefixes like `workers.list=` -> \"did you mean worker.\""),
        diag("workers.properties", "wroker.was1.port", "warning|error", r"did you mean worker\.",
             "misspelt prefixes like `wroker.` -> \"did you mean worker.\""),
    ],
    "25-unresolvable-host": [
        diag("workers.properties", "worker.tc2.host", "warning", r"resolv",
             "a host that does not resolve: one line with file:line"),
        diag("workers.properties", "worker.legacy.host", "warning", r"resolv",
             "a host that does not resolve: one line with file:line"),
    ],
    "26-mount-defined-not-listed": [
        diag("httpd.conf", "JkMount /admin/*", "warning", r"worker\.list",
             "\"not defined\" where the worker is defined but not in worker.list: say it is "
             "not in worker.list"),
    ],
    "37-docker-env-secret-undefined": [
        diag("workers.properties", "worker.svc.secret", "error", r"AJP_SECRET",
             "README: undefined $(VAR) is an error with file:line"),
    ],
    "38-timeout-with-unit-suffix": [
        diag("workers.properties", "worker.orders.reply_timeout", "error", r"reply_timeout",
             "README: an unparsable number is an error with file:line"),
    ],
}

# Messages that must NOT appear (issue: "not defined" for a worker that is defined; status
# worker settings that are used now must not be called ignored).
ISSUE_FORBIDDEN = {
    "26-mount-defined-not-listed": [
        (r"'admin'.*not defined|not defined.*'admin'",
         "\"not defined\" where the worker is defined but not in worker.list"),
    ],
    "24-misspelt-prefixes": [
        (r"'jkstatus'.*not defined|not defined.*'jkstatus'",
         "\"not defined\" where the worker is defined but not in worker.list"),
    ],
    "01-debian-default-jk-conf": [
        (r"did you mean worker\.(tomcat_home|java_home)",
         "noise: Debian's shipped workers.properties (mod_jk's upstream template) defines the "
         "variables workers.tomcat_home and workers.java_home; the issue's \"did you mean "
         "worker.\" is for misspelt worker properties (workers.list=, wroker.X.port=)"),
    ],
    "10-tomcat5-legacy-template": [
        (r"did you mean worker\.(tomcat_home|java_home)",
         "noise: workers.tomcat_home / workers.java_home are the upstream template's variables"),
    ],
    "11-status-worker-styled": [
        (r"(css|prefix|ns|xmlns|doctype|good|bad)'? .*(ignored|not supported)",
         "status worker css/prefix etc. are used now: no 'ignored' warning"),
    ],
}

NO_SECRET = re.compile(r"no secret", re.I)

# --------------------------------------------------------------------------- corpus reading

JK_DIRECTIVES = ["JkWorkersFile", "JkWorkerProperty", "JkShmFile", "JkShmSize", "JkMountFile",
                 "JkMountFileReload", "JkMount", "JkUnMount", "JkMountCopy", "JkAutoAlias",
                 "JkWorkerIndicator", "JkWatchdogInterval", "JkLogFile", "JkLogLevel",
                 "JkLogStampFormat", "JkRequestLogFormat", "JkRequestIdIndicator", "JkOptions",
                 "JkEnvVar", "JkStripSession", "JkExtractSSL", "JkHTTPSIndicator"]
CANONICAL = {d.lower(): d for d in JK_DIRECTIVES}


def entries():
    """The corpus directories; RW_ONLY=NN,NN (environment) limits a run to those entries while
    working on them (RW_VERBOSE=1: the table shows every URI)."""
    only = [s for s in os.environ.get("RW_ONLY", "").split(",") if s]
    return sorted(p for p in CORPUS.iterdir() if p.is_dir() and re.match(r"\d\d-", p.name)
                  and (not only or p.name[:2] in only))


def parse_expect(path):
    """(refused, [dict(host, uri, expected: set, cookie, contains, line)])."""
    refused, rows = False, []
    for n, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line == "refused":
            refused = True
            continue
        f = line.split()
        assert len(f) >= 3, "%s:%d: need <host> <uri> <expected>" % (path, n)
        row = {"host": None if f[0] == "-" else f[0], "uri": f[1], "expected": set(f[2].split("|")),
               "cookie": None, "contains": None, "line": n}
        for opt in f[3:]:
            key, _, value = opt.partition("=")
            assert key in ("cookie", "contains") and value, "%s:%d: bad option %r" % (path, n, opt)
            row[key] = value
        rows.append(row)
    return refused, rows


def line_of(data, at, occurrence=1):
    """1-based number of the `occurrence`-th line of `data` (bytes) containing `at` (comment
    lines skipped)."""
    seen = 0
    for n, raw in enumerate(data.decode("latin-1").splitlines(), 1):
        if at in raw and not raw.lstrip().startswith("#"):
            seen += 1
            if seen == occurrence:
                return n
    return None


def canonical_text(data):
    """LF line ends and canonical Jk directive names: what a CRLF / mixed-case file must read
    like."""
    out = []
    for line in data.replace(b"\r\n", b"\n").split(b"\n"):
        m = re.match(rb"^(\s*)(jk\w+)(.*)$", line, re.I)
        if m and m.group(2).decode().lower() in CANONICAL:
            line = m.group(1) + CANONICAL[m.group(2).decode().lower()].encode() + m.group(3)
        out.append(line)
    return b"\n".join(out)


# --------------------------------------------------------------------------- httpd wrapper

CASE_LOG = ('LogFormat "%{X-Case}i %>s %{JK_WORKER_NAME}n" rwcase\n'
            'CustomLog "{root}/logs/cases.log" rwcase\n')
HARNESS_JK = ("JkWorkersFile", "JkShmFile", "JkLogFile", "JkLogLevel", "JkLogStampFormat")
LOADMODULE_JK = re.compile(rb"^(\s*LoadModule\s+jk_module\s+)(\S+)", re.I | re.M)


class CorpusHttpd(Httpd):
    """The harness's httpd without its own Jk directives: the corpus httpd.conf, copied to
    conf/jk.conf, is Included at the end (so its line numbers are its own)."""

    def __init__(self, so, entry, label, canonical=False, port=None):
        super().__init__(so, name="rw-%s-%s" % (entry.name[:2], label), port=port,
                         modules=["setenvif", "env", "alias", "access_compat"],
                         mpm_settings={"StartServers": 1})
        self.entry = entry
        self.canonical = canonical
        self.own_loadmodule = bool(LOADMODULE_JK.search((entry / "httpd.conf").read_bytes()))

    def httpd_conf(self):
        kept = []
        for line in super().httpd_conf().splitlines():
            if line.startswith(HARNESS_JK):
                continue
            if self.own_loadmodule and line.startswith("LoadModule jk_module"):
                continue
            kept.append(line)
        return "\n".join(kept) + "\n" + CASE_LOG.replace("{root}", str(self.root)) + \
            "Include conf/jk.conf\n"

    def instantiate(self, backend_ports):
        """Write the corpus files into conf/ with the placeholders filled in; returns
        {absolute path: corpus file name}."""
        if self.root is None:
            self.create()
        names = {str(self.conf_file): "(wrapper httpd.conf)"}
        subst = {b"@ROOT@": str(self.root).encode(), b"@HTTP_PORT@": str(self.port).encode()}
        for letter, port in backend_ports.items():
            subst[("@PORT_%s@" % letter).encode()] = str(port).encode()
        for src in sorted(self.entry.iterdir()):
            if src.name == "expect.txt" or not src.is_file():
                continue
            data = src.read_bytes()
            for k, v in subst.items():
                data = data.replace(k, v)
            left = re.findall(rb"@[A-Z_]+@", data)
            assert not left, "%s: unknown placeholders %s" % (src, left)
            if src.name == "httpd.conf":
                data = LOADMODULE_JK.sub(lambda m: m.group(1) + self.module_so.encode(), data)
                dest = self.root / "conf" / "jk.conf"
            else:
                dest = self.root / "conf" / src.name
            if self.canonical:
                data = canonical_text(data)
            dest.write_bytes(data)
            dest.chmod(0o644)
            names[str(dest)] = src.name
        return names


# --------------------------------------------------------------------------- diagnostics

CHECK_DIAG = re.compile(r"^  (?:(?P<file>\S+?):(?P<line>\d+): )?(?P<sev>error|warning|info): (?P<msg>.*)$")
T_DIAG = re.compile(r"^SwiftJK: (?:(?P<file>\S+?):(?P<line>\d+): )?(?P<sev>error|warning|info): (?P<msg>.*)$")
T_SYNTAX = re.compile(r"^AH00526: Syntax error on line (?P<line>\d+) of (?P<file>\S+?):$")


def normalize(d, names, root):
    f = d.get("file")
    if f:
        f = names.get(f) or names.get(str((root / "conf" / f).resolve())) or \
            {"jk.conf": "httpd.conf"}.get(os.path.basename(f), os.path.basename(f))
    msg = d["msg"].replace(str(root), "<root>").strip()
    return {"file": f, "line": int(d["line"]) if d.get("line") else None, "sev": d["sev"],
            "msg": msg}


def swiftjk_check(conf):
    proc = subprocess.run([str(SWIFTJK), "check", str(conf)], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=60)
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


def check_diags(out, names, root):
    section = out.split("\nDiagnostics\n", 1)[1] if "\nDiagnostics\n" in out else ""
    found = []
    for raw in section.splitlines():
        m = CHECK_DIAG.match(raw)
        if m:
            found.append(normalize(m.groupdict(), names, root))
    return found


def t_diags(out, names, root):
    lines = out.splitlines()
    found = []
    for i, raw in enumerate(lines):
        m = T_DIAG.match(raw)
        if m:
            found.append(normalize(m.groupdict(), names, root))
            continue
        m = T_SYNTAX.match(raw)
        if m and i + 1 < len(lines):
            found.append(normalize(dict(m.groupdict(), sev="error", msg=lines[i + 1]), names, root))
    return found


def show_diag(d):
    where = "%s:%s" % (d["file"], d["line"]) if d["file"] else "-"
    return "%s %s %s" % (d["sev"][0].upper(), where, d["msg"])


def key(d):
    msg = d["msg"]
    for k, v in ASCII.items():
        msg = msg.replace(k, v)
    return (d["file"] or "", d["line"] or 0, d["sev"], msg)


# --------------------------------------------------------------------------- backends

def answer_as(node):
    def behave(fake, conn, payload):
        req = decode_forward_request(payload)
        fake.read_body(conn, payload)
        conn.sendall(ok_response(("node=%s\nuri=%s\n" % (node, req["uri"])).encode("latin-1")))
    return behave


BODY = re.compile(r"^node=(\w+)\nuri=(.*)\n")


def ask(h, rows):
    """Ask every row of expect.txt; returns [(outcome, detail, body)] in row order."""
    client = http.Client(h.port, timeout=15)
    responses = []
    try:
        for i, row in enumerate(rows):
            headers = [("Host", row["host"] or "127.0.0.1"), ("X-Case", "c%03d" % i)]
            if row["cookie"]:
                headers.append(("Cookie", row["cookie"]))
            responses.append(client.request("GET", row["uri"], headers=headers))
    finally:
        client.close()
    path = h.root / "logs" / "cases.log"
    notes = {}
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        notes = {}
        if path.exists():
            for line in path.read_text(errors="replace").splitlines():
                f = line.split()
                if len(f) >= 3 and f[0].startswith("c"):
                    notes[f[0]] = f[2]
        if len(notes) >= len(rows):
            break
        time.sleep(0.05)
    results = []
    for i, resp in enumerate(responses):
        body = resp.text
        m = BODY.match(body) if resp.status == 200 else None
        worker = notes.get("c%03d" % i)
        if m:
            results.append((m.group(1), "uri=" + m.group(2), body))
        elif worker not in (None, "", "-"):
            results.append(("%s:%d" % (worker, resp.status), "", body))
        else:
            results.append(("static", "httpd %d" % resp.status, body))
    return results


def jk_log_file(root, conf_text):
    """The main server's JkLogFile of the instantiated corpus httpd.conf."""
    depth = 0
    for raw in conf_text.replace("\r\n", "\n").splitlines():
        s = raw.strip()
        if re.match(r"<VirtualHost\b", s, re.I):
            depth += 1
        elif re.match(r"</VirtualHost>", s, re.I):
            depth -= 1
        m = re.match(r"JkLogFile\s+[\"']?([^\"'\s]+)", s, re.I)
        if m and depth == 0:
            p = pathlib.Path(m.group(1))
            return p if p.is_absolute() else root / p
    return None


def modjk_log_summary(h):
    path = jk_log_file(h.root, (h.root / "conf" / "jk.conf").read_text(errors="replace"))
    text = path.read_text(errors="replace") if path and path.exists() else ""
    lines = []
    for l in text.splitlines():
        m = re.search(r"\[(error|warn)\] (?:\S+ \(\d+\): )?(.*)$", l)
        if m:
            msg = "%s: %s" % (m.group(1), m.group(2).replace(str(h.root), "<root>"))
            if msg not in lines:
                lines.append(msg)
    return lines


# --------------------------------------------------------------------------- the run

FAKES = {}
RESULTS = {}       # entry name -> dict
NEEDS_NO_8009 = ("16-worker-list-no-properties", "19-lb-undefined-member", "24-misspelt-prefixes")


def run_module_httpd(h, rows):
    """configtest, start, ask, stop. Returns a dict."""
    r = {"t_rc": None, "t_out": "", "started": False, "start_error": "", "answers": None}
    r["t_rc"], r["t_out"] = h.configtest()
    try:
        if r["t_rc"] == 0:
            try:
                h.start(timeout=15)
                r["started"] = True
            except HttpdError as e:
                r["start_error"] = str(e)
            if r["started"] and rows:
                r["answers"] = ask(h, rows)
    finally:
        h.stop()
    return r


def run_entry(entry, swift_so):
    refused, rows = parse_expect(entry / "expect.txt")
    res = {"refused_expected": refused, "rows": rows}
    backend_ports = {k: f.port for k, f in FAKES.items()}
    # SwiftJK: check, -t, start, ask.
    hs = CorpusHttpd(swift_so, entry, "swiftjk")
    names = hs.instantiate(backend_ports)
    rc, out = swiftjk_check(hs.conf_file)
    res["check_rc"], res["check_out"] = rc, out
    res["check"] = check_diags(out, names, hs.root)
    res["names"], res["root"] = names, hs.root
    # the same configuration with LF line ends and canonical directive names
    hc = CorpusHttpd(swift_so, entry, "canon", canonical=True, port=hs.port)
    hc.instantiate(backend_ports)
    crc, cout = swiftjk_check(hc.conf_file)
    res["canon_same"] = (rc, out.replace(str(hs.root), "<root>")) == \
        (crc, cout.replace(str(hc.root), "<root>"))
    res["canon_out"] = cout.replace(str(hc.root), "<root>")
    res["canon_differs_from_corpus"] = any(
        (entry / n).read_bytes() != canonical_text((entry / n).read_bytes())
        for n in os.listdir(entry) if n != "expect.txt")
    res["swift"] = run_module_httpd(hs, rows)
    res["t"] = t_diags(res["swift"]["t_out"], names, hs.root)
    jl = jk_log_file(hs.root, (hs.root / "conf" / "jk.conf").read_text(errors="replace"))
    res["swift_jklog"] = jl.read_text(errors="replace") if jl and jl.exists() else ""
    # mod_jk, same files.
    hm = CorpusHttpd(REFERENCE_MODULE, entry, "modjk")
    hm.instantiate(backend_ports)
    res["modjk"] = run_module_httpd(hm, rows)
    res["modjk_log"] = modjk_log_summary(hm)
    return res


def setup_module():
    require_tools()
    swift = module_so()
    if is_reference(swift):
        raise NotApplicable("compares SwiftJK's checker and routing with mod_jk")
    if not os.path.isfile(REFERENCE_MODULE):
        raise SkipTest("reference module missing: %s" % REFERENCE_MODULE)
    if not SWIFTJK.is_file():
        raise SkipTest("swiftjk not built: %s" % SWIFTJK)
    for letter, node in NODES.items():
        FAKES[letter] = FakeAJP(answer_as(node), name="rw-" + node).start()
    t0 = time.monotonic()
    for entry in entries():
        RESULTS[entry.name] = run_entry(entry, swift)
    note("%d corpus entries, checked and routed under both modules in %.1fs"
         % (len(RESULTS), time.monotonic() - t0))


def teardown_module():
    for f in FAKES.values():
        f.stop()


# --------------------------------------------------------------------------- comparisons

def outcome_of(res, label):
    """'refused', or the list of outcomes of the rows."""
    r = res[label]
    if r["t_rc"] != 0 or not r["started"]:
        return "refused"
    return r["answers"]


def routing_rows(name, res):
    """[(row, swift outcome, modjk outcome, agree, verdict)] and a one-word entry verdict."""
    sw, mj = outcome_of(res, "swift"), outcome_of(res, "modjk")
    if sw == "refused" or mj == "refused":
        return [], ("both refused" if sw == mj else
                    "SwiftJK refused" if sw == "refused" else "mod_jk refused")
    rows = []
    for row, (s, sd, sb), (m, md, mb) in zip(res["rows"], sw, mj):
        agree = s == m or (s in row["expected"] and m in row["expected"])
        if row["contains"]:
            agree = agree and ((row["contains"] in sb) == (row["contains"] in mb))
        rows.append((row, (s, sd, sb), (m, md, mb), agree))
    return rows, "ran"


def matches_expect(row, outcome):
    o, _, body = outcome
    return o in row["expected"] and (not row["contains"] or row["contains"] in body)


# --------------------------------------------------------------------------- the tests

FEATURES = {
    "CRLF file": lambda d: any(b"\r\n" in (d / n).read_bytes() for n in os.listdir(d)),
    "LF file": lambda d: any(b"\r\n" not in (d / n).read_bytes() for n in os.listdir(d)),
    "mixed-case directive": lambda d: re.search(rb"^\s*(JKMount|jkMount|JKMOUNTFILE)\s",
                                                (d / "httpd.conf").read_bytes(), re.M),
    "$(VAR)": lambda d: b"$(" in (d / "workers.properties").read_bytes(),
    "reference=": lambda d: b".reference=" in (d / "workers.properties").read_bytes(),
    "<VirtualHost>": lambda d: b"<VirtualHost" in (d / "httpd.conf").read_bytes(),
    "JkMountCopy": lambda d: re.search(rb"JkMountCopy", (d / "httpd.conf").read_bytes(), re.I),
    "mount file !": lambda d: any(re.search(rb"^!/", (d / n).read_bytes(), re.M)
                                  for n in os.listdir(d) if n.endswith(".properties")),
    "mount file -": lambda d: any(re.search(rb"^-/", (d / n).read_bytes(), re.M)
                                  for n in os.listdir(d) if n.endswith(".properties")),
    "balanced_workers": lambda d: b"balanced_workers" in (d / "workers.properties").read_bytes(),
    "cachesize": lambda d: b".cachesize" in (d / "workers.properties").read_bytes(),
    "jvm_route": lambda d: b".jvm_route" in (d / "workers.properties").read_bytes(),
    "status worker": lambda d: b"type=status" in (d / "workers.properties").read_bytes(),
    "JkLogLevel warning": lambda d: b"JkLogLevel warning" in (d / "httpd.conf").read_bytes(),
    "secretkey": lambda d: b".secretkey=" in (d / "workers.properties").read_bytes(),
    "worker.X.source": lambda d: b".source=" in (d / "workers.properties").read_bytes(),
    "JkWorkerIndicator": lambda d: b"JkWorkerIndicator" in (d / "httpd.conf").read_bytes(),
    "ForwardURIEscaped": lambda d: b"ForwardURIEscaped" in (d / "httpd.conf").read_bytes(),
    "unresolvable host": lambda d: b"..invalid" in (d / "workers.properties").read_bytes(),
    "misspelt prefix": lambda d: re.search(rb"^(workers\.list|wroker\.)",
                                           (d / "workers.properties").read_bytes(), re.M),
}


def test_corpus_is_complete():
    names = [e.name for e in entries()]
    if os.environ.get("RW_ONLY"):
        raise NotApplicable("RW_ONLY limits the run to entries %s" % os.environ["RW_ONLY"])
    assert len(names) >= 30, "only %d corpus entries" % len(names)
    problems = []
    for e in entries():
        for f in ("httpd.conf", "workers.properties", "expect.txt"):
            if not (e / f).is_file():
                problems.append("%s: no %s" % (e.name, f))
        conf = (e / "httpd.conf").read_text(errors="replace")
        # Debian's mod_jk defaults both into /var/log/apache2: every entry names its own.
        for d in ("JkLogFile", "JkShmFile"):
            if not re.search(r"^\s*%s\s" % d, conf, re.I | re.M):
                problems.append("%s: no %s (mod_jk would write into /var/log/apache2)" % (e.name, d))
        refused, rows = parse_expect(e / "expect.txt")
        if not refused and not rows:
            problems.append("%s: expect.txt lists no URI" % e.name)
        hosts = re.findall(rb"host\s*=\s*(\S+)", (e / "workers.properties").read_bytes())
        bad = [h for h in hosts if h not in (b"127.0.0.1", b"$(backend_host)") and b"..invalid" not in h]
        if bad:
            problems.append("%s: hosts other than 127.0.0.1: %s" % (e.name, bad))
        if "crlf" in e.name:
            whole = [n for n in os.listdir(e) if n != "expect.txt" and
                     (e / n).read_bytes().count(b"\n") == (e / n).read_bytes().count(b"\r\n")]
            if not whole:
                problems.append("%s: no file with CRLF line ends throughout (a checkout that "
                                "normalised them? see realworld/.gitattributes)" % e.name)
    missing = [f for f, test in FEATURES.items() if not any(test(e) for e in entries())]
    assert not problems and not missing, "\n".join(problems + ["no entry has: %s" % ", ".join(missing)])
    note("%d entries; every feature of the issue's list present: %s" % (len(names), ", ".join(FEATURES)))


def test_table():
    """One compact block per entry (always passes; the record of what was seen)."""
    for name, res in RESULTS.items():
        c, t = res["check"], res["t"]
        count = lambda ds, s: sum(1 for d in ds if d["sev"] == s)
        same = sorted(map(key, c)) == sorted(map(key, t))
        m = res["modjk"]
        mj = ("-t rc=%d" % m["t_rc"]) + (", started" if m["started"] else ", did not start")
        rows, verdict = routing_rows(name, res)
        agree = sum(1 for r in rows if r[3])
        route = ("%d/%d URIs agree" % (agree, len(rows))) if verdict == "ran" else verdict
        note("%-34s check %dE %dW %dI | -t %dE %dW%s | mod_jk %s, log %dE %dW | %s" % (
            name, count(c, "error"), count(c, "warning"), count(c, "info"), count(t, "error"),
            count(t, "warning"), " (same)" if same else " (DIFFERS)", mj,
            sum(1 for l in res["modjk_log"] if l.startswith("error")),
            sum(1 for l in res["modjk_log"] if l.startswith("warn")), route))
        for d in c:
            note("    check: " + show_diag(d)[:170])
        if m["t_rc"] != 0:
            said = " | ".join(l.strip() for l in m["t_out"].splitlines() if l.strip())
            note("    mod_jk -t: " + re.sub(r"\S*/rw-\d\d-modjk/", "<root>/", said)[:170])
        for l in res["modjk_log"][:4]:
            note("    mod_jk log: " + l[:150])
        for row, s, mo, ok in rows:
            if not ok or not matches_expect(row, s) or os.environ.get("RW_VERBOSE"):
                note("    %s %s: SwiftJK %s, mod_jk %s, expected %s%s" % (
                    row["host"] or "-", row["uri"], s[0], mo[0], "|".join(sorted(row["expected"])),
                    "" if s[1] == mo[1] else " (SwiftJK %s, mod_jk %s)" % (s[1], mo[1])))


def test_swiftjk_check_explains_the_traps():
    """The one-line explanations issue 16 asks of `swiftjk check` (file:line, severity, text),
    the corpus-wide rules, and no error where mod_jk runs the configuration."""
    failures, implemented = [], []
    for name, res in RESULTS.items():
        entry = CORPUS / name
        diags = res["check"]
        # Every warning and error says where (issue: "in one line with file:line").
        for d in diags:
            if d["sev"] != "info" and not d["line"]:
                failures.append("%s: a %s without file:line: %s" % (name, d["sev"], show_diag(d)[:170]))
        for exp in ISSUE_DIAGS.get(name, []):
            line = None
            if exp["at"] is not None:
                line = line_of((entry / exp["file"]).read_bytes(), exp["at"], exp["occurrence"])
                assert line, "%s: %r not found in %s" % (name, exp["at"], exp["file"])
            hits = [d for d in diags if re.search(exp["pattern"], d["msg"], re.I)]
            exact = [d for d in hits if d["sev"] in exp["sevs"] and d["file"] == exp["file"]
                     and (line is None or d["line"] == line)]
            evidence = exp["implemented"](res, entry) if exp["implemented"] and not exact else None
            there = [d for d in diags if d["file"] == exp["file"] and line is not None and d["line"] == line]
            if evidence:
                implemented.append("%s: %s" % (name, evidence))
            elif not exact:
                failures.append("%s: expected %s at %s:%s matching /%s/ -- issue: %s\n      now: %s" % (
                    name, "/".join(sorted(exp["sevs"])), exp["file"], line or "*", exp["pattern"],
                    exp["issue"], "; ".join(show_diag(d)[:150] for d in there + [h for h in hits if h not in there])
                    or "nothing there, nothing matching"))
        for pattern, issue in ISSUE_FORBIDDEN.get(name, []):
            for d in diags:
                if re.search(pattern, d["msg"], re.I):
                    failures.append("%s: %s -- issue: %s" % (name, show_diag(d)[:170], issue))
        # No error unless asked for, or mod_jk refuses the configuration too.
        expected_errors = [e for e in ISSUE_DIAGS.get(name, []) if e["sevs"] == {"error"}]
        modjk_refused = outcome_of(res, "modjk") == "refused"
        for d in diags:
            if d["sev"] == "error" and not expected_errors and not modjk_refused:
                failures.append("%s: error where mod_jk runs the configuration: %s" % (
                    name, show_diag(d)[:170]))
    # The "no secret" warning: once per check, naming every worker without a secret.
    per_worker = {name: [d for d in res["check"] if NO_SECRET.search(d["msg"])]
                  for name, res in RESULTS.items()}
    many = {n: ds for n, ds in per_worker.items() if len(ds) > 1}
    if many:
        example = many.get("32-many-workers-no-secret") or next(iter(many.values()))
        failures.append("%d entries get several 'no secret' warnings (one per worker) -- issue: "
                        "the \"no secret\" warning once per start naming all workers\n      now "
                        "e.g. %s" % (len(many), "; ".join(show_diag(d)[:110] for d in example)))
    one = per_worker.get("32-many-workers-no-secret", [])
    if len(one) == 1 and not all(w in one[0]["msg"] for w in ("hr", "finance", "wiki", "tickets")):
        failures.append("32-many-workers-no-secret: the one 'no secret' warning does not name "
                        "all four workers: %s" % show_diag(one[0]))
    jk = RESULTS.get("32-many-workers-no-secret", {}).get("swift_jklog", "")
    at_start = [l for l in jk.splitlines() if NO_SECRET.search(l)]
    if len(at_start) > 1:
        failures.append("32-many-workers-no-secret: the jk log at start has %d 'no secret' lines "
                        "-- issue: once per start naming all workers\n      now e.g. %s" % (
                            len(at_start), at_start[0][:160]))
    for i in implemented:
        note("implemented, so no warning is needed: " + i)
    note("%d entries, %d expected diagnostics; %d gaps" % (
        len(RESULTS), sum(len(v) for v in ISSUE_DIAGS.values()), len(failures)))
    assert not failures, "%d gaps:\n  %s" % (len(failures), "\n  ".join(failures))


def test_crlf_and_directive_case_read_alike():
    """`swiftjk check` gives the same report for a corpus entry and for its copy with LF line
    ends and canonical directive names (issue: CRLF files read like LF; directive names are
    case-insensitive in `swiftjk check` too)."""
    failures, compared = [], 0
    for name, res in RESULTS.items():
        if not res["canon_differs_from_corpus"]:
            continue
        compared += 1
        if not res["canon_same"]:
            a = res["check_out"].replace(str(res["root"]), "<root>").splitlines()
            b = res["canon_out"].splitlines()
            diff = [("%r / %r" % (x, y)) for x, y in zip(a, b) if x != y][:3] or \
                ["%d lines vs %d lines" % (len(a), len(b))]
            failures.append("%s: CRLF/mixed-case original and LF/canonical copy differ: %s" % (
                name, "; ".join(d[:200] for d in diff)))
    note("%d entries with CRLF or mixed-case files compared with their LF/canonical copy" % compared)
    assert compared >= 5, compared
    assert not failures, "\n".join(failures)


def test_check_and_apache2_t_agree():
    """`swiftjk check` and `apache2 -t` with SwiftJK print the same diagnostics for every entry."""
    failures = []
    for name, res in RESULTS.items():
        c, t = res["check"], res["t"]
        ck, tk = [key(d) for d in c], [key(d) for d in t]
        only_c = [d for d in c if key(d) not in tk]
        only_t = [d for d in t if key(d) not in ck]
        allowed = lambda d: any(p(d) for p, _ in DIAG_DIFF_ALLOWED)
        only_c = [d for d in only_c if not allowed(d)]
        only_t = [d for d in only_t if not allowed(d)]
        if only_c or only_t:
            failures.append("%s:%s%s" % (
                name, "".join("\n      only swiftjk check: " + show_diag(d)[:160] for d in only_c),
                "".join("\n      only apache2 -t:      " + show_diag(d)[:160] +
                        (" [a non-ASCII character reached httpd's log, which escaped it]"
                         if "\\x" in d["msg"] else "") for d in only_t)))
    for _, why in DIAG_DIFF_ALLOWED:
        note("deliberate difference: " + why)
    assert not failures, "%d entries differ:\n  %s" % (len(failures), "\n  ".join(failures))


def test_mod_jk_routes_as_expected():
    """The corpus is right about mod_jk: it serves every URI as expect.txt says (or refuses the
    configurations marked `refused`)."""
    wrong = []
    for name, res in RESULTS.items():
        mj = outcome_of(res, "modjk")
        if res["refused_expected"]:
            if mj != "refused":
                wrong.append("%s: expected mod_jk to refuse, it ran" % name)
            continue
        if mj == "refused":
            wrong.append("%s: mod_jk refused: %s%s" % (name, res["modjk"]["t_out"].strip()[-300:],
                                                       res["modjk"]["start_error"][-300:]))
            continue
        for row, o in zip(res["rows"], mj):
            if not matches_expect(row, o):
                wrong.append("%s: %s %s: mod_jk %s (%s), expect.txt %s" % (
                    name, row["host"] or "-", row["uri"], o[0], o[1], "|".join(sorted(row["expected"]))))
    if os.path.exists("/proc/net/tcp") and ports.is_listening(8009):
        note("something listens on 127.0.0.1:8009: entries %s may not see their default-port "
             "members fail" % ", ".join(NEEDS_NO_8009))
    assert not wrong, "\n".join(wrong)


def test_swiftjk_routes_like_mod_jk():
    """Which backend serves each URI (or static): SwiftJK as mod_jk, except documented
    differences."""
    failures, agree_total, total, allowed_seen = [], 0, 0, []
    for name, res in RESULTS.items():
        rows, verdict = routing_rows(name, res)
        if name in ROUTING_ALLOWED:
            text, why = ROUTING_ALLOWED[name]
            allowed_seen.append("%s: %s" % (name, why))
            if verdict == "SwiftJK refused":
                if text not in res["swift"]["t_out"]:
                    failures.append("%s: refused, but apache2 -t does not name %r:\n%s" % (
                        name, text, res["swift"]["t_out"][-500:]))
                continue
        if res["refused_expected"]:
            if verdict != "both refused":
                failures.append("%s: both modules must refuse this configuration; %s" % (name, verdict))
            continue
        if verdict == "SwiftJK refused":
            failures.append("%s: SwiftJK refuses a configuration mod_jk runs:\n      %s" % (
                name, "\n      ".join(l for l in (res["swift"]["t_out"] + res["swift"]["start_error"])
                                      .splitlines() if "error" in l.lower())[:600]))
            continue
        if verdict != "ran":
            failures.append("%s: %s" % (name, verdict))
            continue
        for row, s, m, ok in rows:
            total += 1
            allowed = ROUTING_ALLOWED_URIS.get((name, row["uri"]))
            if ok:
                agree_total += 1
            elif allowed and s[0] == allowed[0]:
                allowed_seen.append("%s %s: %s" % (name, row["uri"], allowed[1]))
            else:
                failures.append("%s: %s %s: SwiftJK %s (%s), mod_jk %s (%s), expect.txt %s" % (
                    name, row["host"] or "-", row["uri"], s[0], s[1], m[0], m[1],
                    "|".join(sorted(row["expected"]))))
            if s[1].startswith("uri=") and m[1].startswith("uri=") and s[1] != m[1]:
                note("%s %s: forwarded URI differs: SwiftJK %s, mod_jk %s" % (name, row["uri"], s[1], m[1]))
    for a in allowed_seen:
        note("documented difference: " + a)
    note("%d of %d URIs routed alike in the entries both modules run" % (agree_total, total))
    assert not failures, "%d routing differences:\n  %s" % (len(failures), "\n  ".join(failures))
