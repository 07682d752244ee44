"""Differential test of the status worker (jkstatus), side by side in one run: SwiftJK and
Debian's mod_jk 1.2.48 show the same keys and values in txt, prop and xml, and the same commands
(update, reset, recover) leave the same state behind. docs/status-worker.md is the contract.

Two plain Tomcats (was1, was2; AJP secret, not clustered). Two httpds with the same httpd.conf
(apart from the module, ServerRoot and port) mounting `/*.jsp` on lb `worker1` (was1
lbfactor 1, was2 lbfactor 3) and `/jkstatus` on the status worker `jkstatus`. Their
workers.properties are byte-identical except ONE line: SwiftJK's status worker gets
`worker.jkstatus.allow_get_updates=true` (SwiftJK refuses state changes by GET without it;
mod_jk does them by GET always). mod_jk cannot be given that line: it refuses to start
("The attribute 'worker.jkstatus.allow_get_updates' is not supported"; checked below).

Settings whose defaults differ on purpose (README "Where SwiftJK differs", docs/status-worker.md)
are pinned to explicit values in the shared file, so the shown values must be equal:
`ping_mode` (was1 CI, was2 A), `ping_timeout` (was1 3000, was2 2500), `socket_connect_timeout`,
`socket_keepalive`, `connection_pool_timeout`. `connect_timeout`, `prepost_timeout` and
`connection_ping_interval` are left to derive from `ping_mode`/`ping_timeout`, as mod_jk derives
them (it shows connect_timeout = ping_timeout with C, prepost_timeout = ping_timeout with P,
connection_ping_interval = ping_timeout / 100 with I); those three values are compared by
test_derived_cping_timeouts_shown_as_modjk only (SKIP), so that one cause fails one test.

Every request goes to both with the same bytes, including the same Host header, so the `Server`
line (name and port, taken from Host by mod_jk) is compared too.

How two answers are compared (`compare_docs`), per format:
  * txt: records (one per line) by label (`Server`, `Balancer Worker`, `Member`, `Map`,
    `Result`, ...): the same labels in the same order; within each record the same keys in
    the same order; values equal;
  * prop: the ordered list of `key=value` lines (duplicated keys such as `worker.list` and a
    member's `last_reset_*` under the lb's name are kept, as mod_jk prints them): the same keys
    in the same order; values equal;
  * xml (xml.etree): the same elements in document order, each with the same attributes in the
    same order; values equal.
  Values of VOLATILE keys (counters, times, connections, the software identity) are not
  compared, but their presence and position are; `state` OK/IDLE and OK count as equal except
  where a test asks for the exact state (after a reset). Each comparison notes which volatile
  values differed, so the run log shows what was left out.

The tests: the two workers.properties differ by the one line, and mod_jk refuses that line;
cmd=list, cmd=show&w=worker1 and cmd=show&w=worker1&sw=was1 in txt/prop/xml; the derived CPING
timeouts; Content-Type (noted); cmd=update of activation (D, S, A), lbfactor, route (with the
domain a dotted route implies), redirect, distance, domain, all members' lbfactor by att/valN, lb
retries/recover_time/sticky_session, each followed by cmd=show compared in the three formats and
the expected values checked in both (the baseline is restored after each test); recover of a
member put in ERR by stopping its Tomcat, then its return; reset of a member and of the lb
(counters 0, OK/IDLE, no error time, exactly); errors: SwiftJK's documented 4xx with mod_jk's
Result text and document; a repeated parameter's last value wins (mod_jk).
"""

import os
import re
import time
import xml.etree.ElementTree as ET

from harness import (NotApplicable, REFERENCE_MODULE, Httpd, HttpdError, SkipTest, Tomcat, http, is_reference, module_so,
                     note, require_tools)

SECRET = "status-diff-secret-5150"
HOST = "jkstatus.example:8090"       # Host of every status request (both servers take name/port from it)
LB = "worker1"
FACTORS = {"was1": 1, "was2": 3}
SWIFT_ONLY_LINE = "worker.jkstatus.allow_get_updates=true"
JK_DIRECTIVES = "JkMount /*.jsp worker1\nJkMount /jkstatus jkstatus"

# Pinned because SwiftJK's default differs on purpose (README table); same value in both files.
PINNED_MEMBER_SETTINGS = [
    # was1 CI (SwiftJK's default), was2 A (= CPI): the shown connect_timeout/prepost_timeout/
    # connection_ping_interval then derive from ping_timeout for both kinds
    ("ping_mode", {"was1": "CI", "was2": "A"}),   # SwiftJK CI, mod_jk none
    # SwiftJK 3000 ms, mod_jk 10000 ms; was2 2500: not a multiple of 1000, so the derived
    # connection_ping_interval (mod_jk: ping_timeout / 100 s) is checked exactly
    ("ping_timeout", {"was1": "3000", "was2": "2500"}),
    ("socket_connect_timeout", "3000"),   # SwiftJK 3000 ms, mod_jk 0 (not shown; same behaviour)
    ("socket_keepalive", "true"),         # SwiftJK on, mod_jk off (not shown; same behaviour)
    ("connection_pool_timeout", "600"),   # SwiftJK 600 s, mod_jk 0
]

# Values not compared (presence and order still are). Field name -> why.
VOLATILE = {}
for _f in ("elected", "sessions", "errors", "client_errors", "reply_timeouts", "transferred", "read",
           "used", "lbvalue", "busy", "max_busy"):
    VOLATILE[_f] = "counter (per request, per child)"
for _f in ("connected", "max_connected"):
    # documented difference: SwiftJK shows this child's open connections / the pool size,
    # mod_jk this child's connections / the most it had
    VOLATILE[_f] = "connections (documented: SwiftJK max_connected = pool size)"
for _f in ("datetime", "unix", "time_datetime", "time_unix", "last_reset_at", "last_reset_ago",
           "time_to_maintenance_min", "time_to_maintenance_max", "time_to_recover_min",
           "time_to_recover_max", "error_time_datetime", "error_time_unix_seconds", "error_time_ago",
           "error_time_unix seconds", "error_time_ago seconds"):
    VOLATILE[_f] = "time"
# Allow-list of identity differences (which module, not how it behaves):
# - jk_version: the module's name and version ("mod_jk/1.2.48" vs "SwiftJK/x.y.z"): deliberate.
# - web_server: httpd's banner; mod_jk adds its component ("mod_jk/1.2.48") to it with
#   ap_add_version_component, SwiftJK adds none (not in the docs' differences table; noted).
VOLATILE["web_server"] = "software identity (deliberate)"
VOLATILE["jk_version"] = "software identity (deliberate)"

# The answers' HTTP status: mod_jk always 200; SwiftJK 4xx by the contract's table
# (docs/status-worker.md "Where SwiftJK differs": 400 bad parameter, 404 unknown worker or
# member, 409 recover of a member not in error).

T1 = T2 = SWIFT = MODJK = None
WORKERS = {}


# ---------------------------------------------------------------------------------- setup

def workers_properties(swift):
    lines = ["worker.list=%s,jkstatus" % LB,
             "worker.%s.type=lb" % LB,
             "worker.%s.balance_workers=was1,was2" % LB,
             "worker.%s.sticky_session=1" % LB]
    for t in (T1, T2):
        w = "worker.%s." % t.name
        lines += [w + "type=ajp13", w + "host=127.0.0.1", w + "port=%d" % t.ajp_port,
                  w + "lbfactor=%d" % FACTORS[t.name], w + "route=%s" % t.name, w + "secret=" + SECRET]
        lines += [w + "%s=%s" % (k, v[t.name] if isinstance(v, dict) else v) for k, v in PINNED_MEMBER_SETTINGS]
    lines.append("worker.jkstatus.type=status")
    if swift:
        lines.append(SWIFT_ONLY_LINE)
    return "\n".join(lines) + "\n"


def setup_module():
    global T1, T2, SWIFT, MODJK
    require_tools()
    so = module_so()
    if is_reference(so):
        raise NotApplicable("compares SwiftJK with mod_jk: the module under test is mod_jk itself")
    if not os.path.isfile(REFERENCE_MODULE):
        raise SkipTest("reference module missing: %s" % REFERENCE_MODULE)
    T1 = Tomcat("was1", "was1", secret=SECRET)
    T2 = Tomcat("was2", "was2", secret=SECRET)
    for t in (T1, T2):
        t.start()
    for t in (T1, T2):
        t.wait_ready(60)
        t.precompile()
    WORKERS["swift"] = workers_properties(swift=True)
    WORKERS["modjk"] = workers_properties(swift=False)
    SWIFT = Httpd(so, name="httpd-swiftjk", workers_properties=WORKERS["swift"], jk_directives=JK_DIRECTIVES)
    MODJK = Httpd(REFERENCE_MODULE, name="httpd-modjk", workers_properties=WORKERS["modjk"],
                  jk_directives=JK_DIRECTIVES)
    for h in (SWIFT, MODJK):
        h.create()
    a = SWIFT.httpd_conf().replace(str(SWIFT.root), "ROOT").replace(str(SWIFT.port), "PORT")
    b = MODJK.httpd_conf().replace(str(MODJK.root), "ROOT").replace(str(MODJK.port), "PORT")
    assert a.replace(so, "MODULE") == b.replace(REFERENCE_MODULE, "MODULE")
    for h in (SWIFT, MODJK):
        h.configtest_and_start()
    # The same traffic on both: 8 new sessions (lb Request method, factors 1:3), so both
    # members are in use (state OK) and the counters are not all 0.
    for h in (SWIFT, MODJK):
        for _ in range(8):
            r = http.get(h.url("/counter.jsp"), timeout=30)
            assert r.status == 200, (h.name, r, r.text[:300])
    note("was1 AJP :%d, was2 AJP :%d; %s :%d loads %s; %s :%d loads %s"
         % (T1.ajp_port, T2.ajp_port, SWIFT.name, SWIFT.port, so, MODJK.name, MODJK.port,
            REFERENCE_MODULE))


def teardown_module():
    for f in (SWIFT, MODJK, T1, T2):
        if f:
            f.stop()


# ---------------------------------------------------------------------------------- parsing

TXT_PAIR = re.compile(r'\s*([^\s=]+)=("([^"]*)"|(\S*))')


def parse_txt(text):
    """[(label, [(key, value), ...]), ...], one per line `Label: k=v k="v" ...`."""
    records = []
    for line in text.splitlines():
        if not line.strip():
            continue
        label, sep, rest = line.partition(": ")
        assert sep, "txt line without 'Label: ': %r" % line
        pairs, pos = [], 0
        while pos < len(rest):
            m = TXT_PAIR.match(rest, pos)
            assert m, "unparsable txt pairs at %r in %r" % (rest[pos:], line)
            pairs.append((m.group(1), m.group(3) if m.group(3) is not None else m.group(4)))
            pos = m.end()
        records.append((label, pairs))
    return records


def parse_prop(text):
    """[(key, value), ...] in order, duplicates kept."""
    out = []
    for line in text.splitlines():
        if not line:
            continue
        key, sep, value = line.partition("=")
        assert sep, "prop line without '=': %r" % line
        out.append((key, value))
    return out


def parse_xml(text):
    """[(local tag, [(attr, value), ...]), ...] in document order (attribute order kept)."""
    root = ET.fromstring(text.encode())
    return [(el.tag.split("}")[-1], list(el.attrib.items())) for el in root.iter()]


def flatten(fmt, text):
    """[(position, key, field, value)]: position names the record (label#n / element#n / prop
    line key) so that keys are compared per record; field is the bare name used for VOLATILE."""
    out = []
    if fmt == "prop":
        for key, value in parse_prop(text):
            field = key.split(".", 1)[1] if key.count(".") >= 1 else key
            field = field.rsplit(".", 1)[-1]
            out.append(("", key, field, value))
        return out
    records = parse_txt(text) if fmt == "txt" else parse_xml(text)
    seen = {}
    for label, pairs in records:
        seen[label] = seen.get(label, 0) + 1
        pos = "%s#%d" % (label, seen[label])
        out.append((pos, "<record>", "<record>", label))
        for k, v in pairs:
            out.append((pos, k, k, v))
    return out


def result_of(fmt, text):
    """(type, message) of the Result in any of the three formats."""
    if fmt == "txt":
        recs = [p for label, p in parse_txt(text) if label == "Result"]
        assert len(recs) == 1, text
        d = dict(recs[0])
    elif fmt == "prop":
        d = {k.rsplit(".", 1)[-1]: v for k, v in parse_prop(text) if ".result." in k}
    else:
        els = [a for tag, a in parse_xml(text) if tag == "result"]
        assert len(els) == 1, text
        d = dict(els[0])
    return d.get("type"), d.get("message")


def txt_workers(text):
    """{name: {key: value}} of the Balancer Worker and Member records of a txt answer."""
    out = {}
    for label, pairs in parse_txt(text):
        d = dict(pairs)
        if label in ("Balancer Worker", "Member", "AJP Worker"):
            out[d["name"]] = d
    return out


# ---------------------------------------------------------------------------------- requests

def status(h, query):
    return http.get(h.url("/jkstatus?" + query), headers=[("Host", HOST)], timeout=30)


def both(query):
    return status(SWIFT, query), status(MODJK, query)


def compare_docs(fmt, s_text, m_text, what, exact_state=False, skip=None, quiet=False):
    """Compare two answers of format `fmt`: different keys or key order, different
    non-volatile values are problems. Returns (problems, info); info = {"keys": n, "volatile":
    fields whose values differed, "idle": OK vs OK/IDLE seen, "skipped": values left to
    another test}. Unless quiet, notes a summary line."""
    skip = SKIP if skip is None else skip
    s, m = flatten(fmt, s_text), flatten(fmt, m_text)
    s_keys = [(p, k) for p, k, _, _ in s]
    m_keys = [(p, k) for p, k, _, _ in m]
    info = {"keys": len(s_keys), "volatile": set(), "idle": set(), "skipped": set()}
    if s_keys != m_keys:
        only_s = [k for k in s_keys if k not in m_keys]
        only_m = [k for k in m_keys if k not in s_keys]
        first = next((i for i, (a, b) in enumerate(zip(s_keys, m_keys)) if a != b), min(len(s_keys), len(m_keys)))
        problem = ("%s [%s]: keys differ: only SwiftJK %s; only mod_jk %s; first order difference at "
                   "#%d: SwiftJK %s, mod_jk %s" % (what, fmt, only_s[:10], only_m[:10], first,
                                                   s_keys[first:first + 3], m_keys[first:first + 3]))
        note("DIFFERENT: " + problem)
        return [problem], info
    problems = []
    for (pos, key, field, sv), (_, _, _, mv) in zip(s, m):
        if sv == mv:
            continue
        if field in VOLATILE:
            info["volatile"].add(field)
        elif field in skip:
            info["skipped"].add("%s %s/%s" % (field, sv, mv))
        elif field == "state" and not exact_state and {sv, mv} <= {"OK", "OK/IDLE"}:
            info["idle"].add("%s %s/%s" % (pos or key, sv, mv))
        else:
            problems.append("%s [%s] %s%s: SwiftJK %r, mod_jk %r" % (what, fmt, pos + " " if pos else "", key, sv, mv))
    for p in problems:
        note("DIFFERENT: " + p)
    if not quiet:
        note_summary(what, {fmt: info}, problems)
    return problems, info


def note_summary(what, infos, problems):
    """One line per comparison: keys per format, and what was not compared (volatile values
    that differed, OK vs OK/IDLE, values compared by another test as SwiftJK/mod_jk)."""
    merged = {k: set().union(*(i[k] for i in infos.values())) for k in ("volatile", "idle", "skipped")}
    note("%s: %s keys SAME%s; volatile values differing: %s%s%s"
         % (what, " / ".join("%s %d" % (f, i["keys"]) for f, i in infos.items()),
            ", %d values DIFFER" % len(problems) if problems else "",
            ", ".join(sorted(merged["volatile"])) or "-",
            "; state OK vs OK/IDLE (SwiftJK/mod_jk): %s" % ", ".join(sorted(merged["idle"])) if merged["idle"] else "",
            "; own test (SwiftJK/mod_jk): %s" % ", ".join(sorted(merged["skipped"])) if merged["skipped"] else ""))


def compare_query(query, what=None, formats=("txt", "prop", "xml"), exact_state=False):
    """Send `query&mime=F` for each format to both; 200 from both and equal documents.
    Returns ({fmt: (swift_text, modjk_text)}, problems)."""
    answers, problems, infos = {}, [], {}
    for fmt in formats:
        s, m = both("%s&mime=%s" % (query, fmt))
        assert m.status == 200, (m, m.text)
        if s.status != 200:
            problems.append("SwiftJK %s&mime=%s: %d %s" % (query, fmt, s.status, s.text[:300]))
            continue
        more, infos[fmt] = compare_docs(fmt, s.text, m.text, what or query, exact_state=exact_state, quiet=True)
        problems += more
        answers[fmt] = (s.text, m.text)
    note_summary(what or query, infos, problems)
    return answers, problems


def change(query, must=True):
    """A state-changing GET on both: mod_jk 200 `Action finished`; SwiftJK (allow_get_updates)
    200 and the same txt answer. Returns the problems."""
    s, m = both(query + "&mime=txt")
    if must:
        assert m.status == 200 and result_of("txt", m.text) == ("OK", "Action finished"), (query, m.text)
    if s.status != 200 or s.text != m.text:
        return ["%s: SwiftJK %d %r, mod_jk %d %r" % (query, s.status, s.text, m.status, m.text)]
    return []


def state_after(step, expect=None, exact_state=False):
    """After a change: cmd=show of the lb equal in all three formats, and `expect` = {worker:
    {key: value}} shown by both (txt), so that a change both ignored is caught. Returns
    (answers, problems)."""
    answers, problems = compare_query("cmd=show&w=%s" % LB, "after %s" % step, exact_state=exact_state)
    if "txt" in answers:
        s_txt, m_txt = answers["txt"]
        for name, kv in (expect or {}).items():
            for k, v in kv.items():
                got = {"SwiftJK": txt_workers(s_txt)[name].get(k), "mod_jk": txt_workers(m_txt)[name].get(k)}
                if got != {"SwiftJK": v, "mod_jk": v}:
                    problems.append("after %s: %s.%s expected %r, got %s" % (step, name, k, v, got))
    return answers, problems


def fail_if(problems):
    assert not problems, "%d problem(s):\n%s" % (len(problems), "\n".join(problems))


BASELINE = ["cmd=update&w=%s&sw=was1&vwa=A&vwf=1&vwn=was1&vwr=&vwc=&vwd=0" % LB,
            "cmd=update&w=%s&sw=was2&vwa=A&vwf=3&vwn=was2&vwr=&vwc=&vwd=0" % LB,
            "cmd=update&w=%s&vlr=2&vlt=60&vls=1" % LB]


def restore_baseline():
    """Back to the configured member and lb settings on both (after a test, also a failed one),
    so that one failure does not cascade into the next tests."""
    for query in BASELINE:
        both(query + "&mime=txt")


# Values compared by a test of their own, not by every comparison (one failure per cause):
# connect_timeout / prepost_timeout / connection_ping_interval as derived from ping_mode and
# ping_timeout (test_derived_cping_timeouts_shown_as_modjk).
SKIP = {"connect_timeout": "test_derived_cping_timeouts_shown_as_modjk",
        "prepost_timeout": "test_derived_cping_timeouts_shown_as_modjk",
        "connection_ping_interval": "test_derived_cping_timeouts_shown_as_modjk"}


# ---------------------------------------------------------------------------------- 0. config

def test_workers_properties_differ_only_by_allow_get_updates():
    s_lines, m_lines = WORKERS["swift"].splitlines(), WORKERS["modjk"].splitlines()
    extra = [l for l in s_lines if l not in m_lines]
    assert extra == [SWIFT_ONLY_LINE], extra
    assert [l for l in s_lines if l != SWIFT_ONLY_LINE] == m_lines
    assert WORKERS["swift"].replace(SWIFT_ONLY_LINE + "\n", "") == WORKERS["modjk"]
    assert (SWIFT.root / "conf" / "workers.properties").read_text() == WORKERS["swift"]
    assert (MODJK.root / "conf" / "workers.properties").read_text() == WORKERS["modjk"]
    note("workers.properties: byte-identical but for SwiftJK's %r" % SWIFT_ONLY_LINE)


def test_modjk_refuses_allow_get_updates():
    """Why mod_jk's file lacks the line: mod_jk 1.2.48 does not ignore an unknown worker
    property, it refuses to start (`apache2 -t` passes: mod_jk reads workers.properties only at
    start)."""
    h = Httpd(REFERENCE_MODULE, name="httpd-modjk-allowget", workers_properties=WORKERS["swift"],
              jk_directives=JK_DIRECTIVES)
    rc, _ = h.configtest()
    started, err = True, ""
    try:
        h.start(timeout=10)
    except HttpdError as e:
        started, err = False, str(e)
    finally:
        h.stop()
    lines = [l.split("] ", 3)[-1] for l in h.jk_log().splitlines() if "allow_get_updates" in l]
    note("mod_jk with %r: apache2 -t rc=%d, start %s; jk.log: %s"
         % (SWIFT_ONLY_LINE, rc, "succeeded" if started else "FAILED", lines or "-"))
    assert not started, "mod_jk started with an unknown status worker property"
    assert "Error in reading worker properties" in err, err
    assert any("is not supported" in l for l in lines), lines


# ---------------------------------------------------------------------------------- 1. read

def test_list_txt_prop_xml():
    fail_if(compare_query("cmd=list")[1])


def test_show_lb_txt_prop_xml():
    fail_if(compare_query("cmd=show&w=%s" % LB)[1])


def test_show_member_txt_prop_xml():
    answers, problems = compare_query("cmd=show&w=%s&sw=was1" % LB)
    for who, text in zip(("SwiftJK", "mod_jk"), answers.get("txt", ("", ""))):
        members = [dict(p)["name"] for label, p in parse_txt(text) if label == "Member"]
        if members != ["was1"]:
            problems.append("%s: members shown %s" % (who, members))
    fail_if(problems)


def test_derived_cping_timeouts_shown_as_modjk():
    """ping_mode C / P / I without connect_timeout / prepost_timeout / connection_ping_interval:
    mod_jk shows the values it derives and uses (connect_timeout = ping_timeout with C,
    prepost_timeout = ping_timeout with P, connection_ping_interval = ping_timeout / 100 s with
    I). SwiftJK also CPINGs with ping_timeout after connect (C) and before a request (P), so
    it must show the same. was1: CI, ping_timeout 3000 -> 3000/0/30; was2: A (C+P+I),
    ping_timeout 2500 -> 2500/2500/25."""
    problems = []
    for fmt in ("txt", "prop", "xml"):
        s, m = both("cmd=list&mime=%s" % fmt)
        got = {}
        for who, text in (("SwiftJK", s.text), ("mod_jk", m.text)):
            got[who] = [(key, value) for _, key, field, value in flatten(fmt, text) if field in SKIP]
        note("[%s] mod_jk %s" % (fmt, " ".join("%s=%s" % kv for kv in got["mod_jk"])))
        if got["SwiftJK"] != got["mod_jk"]:
            note("[%s] SwiftJK %s (DIFFERENT)" % (fmt, " ".join("%s=%s" % kv for kv in got["SwiftJK"])))
            problems.append("[%s] SwiftJK %s, mod_jk %s" % (fmt, got["SwiftJK"], got["mod_jk"]))
    fail_if(problems)


def test_content_type():
    """Outside the body comparison: the Content-Type of each format. Noted; asserted only to be
    the same media type (SwiftJK adds `; charset=utf-8`)."""
    for fmt in ("txt", "prop", "xml"):
        s, m = both("cmd=list&mime=%s" % fmt)
        st, mt = s.header("Content-Type"), m.header("Content-Type")
        note("mime=%s: Content-Type SwiftJK %r, mod_jk %r%s" % (fmt, st, mt, "" if st == mt else " (DIFFERENT)"))
        assert st.split(";")[0].strip() == mt.split(";")[0].strip(), (st, mt)


# ---------------------------------------------------------------------------------- 2. update

def run_steps(steps):
    """[(update query, step name, expect)]: each change on both, then the state compared.
    All steps run (problems collected); the baseline is restored afterwards."""
    problems = []
    try:
        for query, step, expect in steps:
            problems += change(query)
            problems += state_after(step, expect)[1]
    finally:
        restore_baseline()
    fail_if(problems)


def test_update_activation_disabled_stopped_active():
    run_steps([
        ("cmd=update&w=%s&sw=was1&vwa=D" % LB, "vwa=D",
         {"was1": {"activation": "DIS"}, LB: {"good": "1", "degraded": "1", "bad": "0"}}),
        ("cmd=update&w=%s&sw=was1&vwa=S" % LB, "vwa=S",
         {"was1": {"activation": "STP"}, LB: {"good": "1", "degraded": "0", "bad": "1"}}),
        ("cmd=update&w=%s&sw=was1&vwa=A" % LB, "vwa=A",
         {"was1": {"activation": "ACT"}, LB: {"good": "2", "degraded": "0", "bad": "0"}}),
    ])


def test_update_lbfactor():
    # factors 5 and 3: lbmult = lcm / own factor = 3 and 5 (mod_jk's arithmetic)
    run_steps([
        ("cmd=update&w=%s&sw=was1&vwf=5" % LB, "vwf=5",
         {"was1": {"lbfactor": "5", "lbmult": "3"}, "was2": {"lbfactor": "3", "lbmult": "5"}}),
        ("cmd=update&w=%s&sw=was1&vwf=1" % LB, "vwf=1",
         {"was1": {"lbfactor": "1", "lbmult": "3"}, "was2": {"lbmult": "1"}}),
    ])


def test_update_route_redirect_domain_distance():
    run_steps([
        # a route with a dot gives a member without a domain that domain (mod_jk)
        ("cmd=update&w=%s&sw=was2&vwn=dom9.was2x" % LB, "vwn=dom9.was2x",
         {"was2": {"route": "dom9.was2x", "domain": "dom9"}}),
        ("cmd=update&w=%s&sw=was2&vwr=was1&vwd=2" % LB, "vwr=was1&vwd=2",
         {"was2": {"redirect": "was1", "distance": "2"}}),
        ("cmd=update&w=%s&sw=was2&vwn=was2&vwc=&vwr=&vwd=0" % LB, "vwn=was2&vwc=&vwr=&vwd=0",
         {"was2": {"route": "was2", "domain": "", "redirect": "", "distance": "0"}}),
    ])


def test_update_all_members_one_attribute():
    run_steps([
        ("cmd=update&w=%s&att=vwf&val0=2&val1=4" % LB, "att=vwf&val0=2&val1=4",
         {"was1": {"lbfactor": "2", "lbmult": "2"}, "was2": {"lbfactor": "4", "lbmult": "1"}}),
        ("cmd=update&w=%s&att=vwf&val0=1&val1=3" % LB, "att=vwf&val0=1&val1=3",
         {"was1": {"lbfactor": "1"}, "was2": {"lbfactor": "3"}}),
    ])


def test_update_member_ajp_settings():
    # mod_jk's va* values on a member: reply_timeout, CPING timeouts, pool timeout, retries,
    # recovery_options, busy_limit; then back to the configured values.
    run_steps([
        ("cmd=update&w=%s&sw=was1&vart=5000&vapng=2000&vacpt=300&var=3&varo=1&vabl=5" % LB,
         "vart=5000&vapng=2000&vacpt=300&var=3&varo=1&vabl=5",
         {"was1": {"reply_timeout": "5000", "ping_timeout": "2000", "connection_pool_timeout": "300", "retries": "3",
                   "recovery_options": "1", "busy_limit": "5"}}),
        ("cmd=update&w=%s&att=vart&val0=0&val1=7000" % LB, "att=vart&val0=0&val1=7000",
         {"was1": {"reply_timeout": "0"}, "was2": {"reply_timeout": "7000"}}),
        ("cmd=update&w=%s&sw=was*&vart=0&vapng=3000&vacpt=600&var=2&varo=0&vabl=0" % LB,
         "back to the configured values",
         {"was1": {"reply_timeout": "0", "ping_timeout": "3000", "connection_pool_timeout": "600", "retries": "2",
                   "recovery_options": "0", "busy_limit": "0"},
          "was2": {"reply_timeout": "0", "retries": "2", "busy_limit": "0"}}),
    ])
    # was2 is configured with ping_timeout 2500: restore it on its own.
    change("cmd=update&w=%s&sw=was2&vapng=2500" % LB)


def test_update_replaying_modjks_edit_forms():
    """mod_jk's edit forms send every field, host, port, retry interval and packet size
    included, at their current values: a replay changes only what differs (here the
    activation), in both. connection_ping_interval 0 is accepted (mod_jk's default)."""
    t1 = T1
    form = ("cmd=update&w=%s&sw=was1&vwa=D&vwf=1&vwn=was1&vwr=&vwc=&vwd=0&vahst=127.0.0.1&vaprt=%d"
            "&vacpt=600&vapng=3000&vart=0&var=2&vari=100&varo=0&vabl=0&vamps=8192" % (LB, t1.ajp_port))
    problems = []
    try:
        problems += change(form)
        problems += state_after("mod_jk's member form", {"was1": {"activation": "DIS", "port": str(t1.ajp_port)}})[1]
        problems += change("cmd=update&w=%s&vlr=2&vlri=100&vlt=60&vlee=30&vlx=0&vls=1&vlm=0&vll=0" % LB)
        problems += state_after("mod_jk's lb form", {LB: {"retries": "2", "recover_time": "60"}})[1]
        problems += change("cmd=update&w=%s&sw=was2&vacpi=0" % LB)
    finally:
        restore_baseline()
        change("cmd=update&w=%s&sw=was2&vacpi=25" % LB, must=False)
    fail_if(problems)


def test_update_lb_settings():
    run_steps([
        ("cmd=update&w=%s&vlr=3&vlt=90&vls=0" % LB, "vlr=3&vlt=90&vls=0",
         {LB: {"retries": "3", "recover_time": "90", "sticky_session": "False"}}),
        ("cmd=update&w=%s&vlr=2&vlt=60&vls=1" % LB, "vlr=2&vlt=60&vls=1",
         {LB: {"retries": "2", "recover_time": "60", "sticky_session": "True"}}),
    ])


# ---------------------------------------------------------------------------------- 2b. recover

def sticky_to_was1(h):
    """One request whose session route is was1 (a made-up session id), on a fresh connection."""
    return http.get(h.url("/counter.jsp"), headers=[("Cookie", "JSESSIONID=0123456789ABCDEF.was1")], timeout=30)


def member_state(h, name):
    return txt_workers(status(h, "cmd=show&w=%s&mime=txt" % LB).text)[name]["state"]


def test_recover_member_in_error():
    """was1 stopped (SIGTERM by PID): requests sticky to was1 (they fail over to was2) until
    was1 is ERR in both; recover of was1: ERR/REC in both; was1 restarted: a request sticky to was1 is served by was1 again
    and both show it OK."""
    restore_baseline()
    problems = []
    T1.stop()
    try:
        assert not T1.running()
        for h in (SWIFT, MODJK):
            deadline, tries = time.monotonic() + 15, 0
            while member_state(h, "was1") != "ERR":
                assert tries < 10 and time.monotonic() < deadline, \
                    "%s: was1 %s after %d requests" % (h.name, member_state(h, "was1"), tries)
                r = sticky_to_was1(h)
                tries += 1
                assert r.status == 200 and r.kv().get("node") == "was2", (h.name, r, r.text[:300])
            note("%s: was1 ERR after %d request(s)" % (h.name, tries))
        problems += state_after("was1 stopped", {"was1": {"state": "ERR"}, LB: {"good": "1", "bad": "1"}})[1]
        # error_time_ago counts from the error while was1 stays down (SwiftJK's watchdog CPINGs
        # it every second meanwhile; a failed CPING must not restart the error's time).
        first = {h.name: int(txt_workers(status(h, "cmd=show&w=%s&mime=txt" % LB).text)["was1"]["error_time_ago"])
                 for h in (SWIFT, MODJK)}
        time.sleep(3.2)
        later = {h.name: int(txt_workers(status(h, "cmd=show&w=%s&mime=txt" % LB).text)["was1"]["error_time_ago"])
                 for h in (SWIFT, MODJK)}
        note("error_time_ago of was1: %s, 3.2 s later %s" % (first, later))
        for name in first:
            if later[name] < first[name] + 2:
                problems.append("%s: error_time_ago %d, 3.2 s later %d" % (name, first[name], later[name]))


        problems += change("cmd=recover&w=%s&sw=was1" % LB)
        problems += state_after("recover", {"was1": {"state": "ERR/REC"}})[1]
    finally:
        if not T1.running():
            T1.start()
            T1.wait_ready(60)
            T1.precompile()
    for h in (SWIFT, MODJK):
        deadline, tries, r = time.monotonic() + 15, 0, None
        while True:
            r = sticky_to_was1(h)
            tries += 1
            if r.status == 200 and r.kv().get("node") == "was1":
                break
            assert tries < 10 and time.monotonic() < deadline, "%s: was1 not back after %d requests: %s" % (h.name, tries, r)
            time.sleep(0.2)
        note("%s: was1 serves again after the restart, %d request(s)" % (h.name, tries))
    problems += state_after("was1 restarted", {"was1": {"state": "OK"}, LB: {"good": "2", "bad": "0"}})[1]
    fail_if(problems)


# ---------------------------------------------------------------------------------- 2c. reset

ZEROED = ("lbvalue", "elected", "sessions", "errors", "client_errors", "reply_timeouts", "transferred",
          "read", "max_busy")


def test_reset_member_then_lb():
    """cmd=reset of one member, then of the whole lb: counters 0 and state OK/IDLE in both,
    exactly, and no error_time keys left (max_connected: SwiftJK shows the pool size,
    documented)."""
    problems = change("cmd=reset&w=%s&sw=was2" % LB)
    problems += state_after("reset of was2", {"was2": dict({k: "0" for k in ZEROED}, state="OK/IDLE")},
                            exact_state=True)[1]
    problems += change("cmd=reset&w=%s" % LB)
    answers, more = state_after("reset of %s" % LB, dict({m: dict({k: "0" for k in ZEROED}, state="OK/IDLE")
                                                          for m in ("was1", "was2")}, **{LB: {"max_busy": "0"}}),
                                exact_state=True)
    problems += more
    for who, text in zip(("SwiftJK", "mod_jk"), answers.get("txt", ())):
        w = txt_workers(text)
        left = [(m, k) for m in ("was1", "was2") for k in w[m] if k.startswith("error_time")]
        if left:
            problems.append("%s after reset: %s" % (who, left))
    fail_if(problems)


# ---------------------------------------------------------------------------------- 3. errors

def check_error(query, fmt, expected_status):
    """mod_jk: 200 with Result type=ERROR; SwiftJK: the contract's 4xx and the same Result
    (the same document: compared as any other). Returns the problems."""
    s, m = both(query)
    m_result = result_of(fmt, m.text)
    try:
        s_result = result_of(fmt, s.text)
    except (AssertionError, ET.ParseError, KeyError):
        s_result = ("<not %s>" % fmt, s.text[:80])
    note("%s: mod_jk %d %s; SwiftJK %d %s" % (query, m.status, m_result, s.status, s_result))
    assert m.status == 200 and m_result[0] == "ERROR", (m, m.text)
    problems = []
    if not 400 <= s.status < 500:
        problems.append("SwiftJK %s: status %d, expected 4xx" % (query, s.status))
    elif s.status != expected_status:
        problems.append("SwiftJK %s: status %d, the contract says %d" % (query, s.status, expected_status))
    if s_result != m_result:
        problems.append("%s: SwiftJK %r, mod_jk %r" % (query, s_result, m_result))
    else:
        problems += compare_docs(fmt, s.text, m.text, query, quiet=True)[0]
    return problems


def test_errors_4xx_with_modjks_message():
    problems = []
    cases = [("cmd=bogus", 400), ("cmd=show&w=nosuch", 404), ("cmd=show&w=%s&sw=nosuch" % LB, 404),
             ("cmd=show", 400), ("cmd=update&w=%s&sw=nosuch&vwf=2" % LB, 404),
             # recover of a member not in error (was2 is OK)
             ("cmd=recover&w=%s&sw=was2" % LB, 409)]
    for query, code in cases:
        for fmt in ("txt", "prop", "xml"):
            problems += check_error("%s&mime=%s" % (query, fmt), fmt, code)
    # an unknown mime: answered in the prop form by both
    problems += check_error("cmd=list&mime=bogus", "prop", 400)
    # an unknown command and an unknown mime: mod_jk checks the command first and answers in
    # the prop form (SUMMARY §4)
    problems += check_error("cmd=bogus&mime=bogus", "prop", 400)
    fail_if(problems)


def test_repeated_parameter_last_wins():
    """mod_jk: a repeated parameter's last value wins (SUMMARY §2), for cmd as for mime."""
    problems = []
    for query in ("cmd=bogus&cmd=list&mime=txt", "cmd=list&mime=bogus&mime=txt"):
        s, m = both(query)
        s_line = [l for l in s.text.splitlines() if l.startswith("Result: ")]
        note("%s: mod_jk %d %s; SwiftJK %d %s" % (query, m.status, result_of("txt", m.text), s.status,
                                                  result_of("txt", s.text) if s_line else s.text[:80]))
        assert m.status == 200 and result_of("txt", m.text) == ("OK", "Action finished"), m.text
        if s.status != 200:
            problems.append("SwiftJK %s: %d %s" % (query, s.status, s.text.strip()))
        else:
            problems += compare_docs("txt", s.text, m.text, query)[0]
    fail_if(problems)
