"""The JK_* notes for httpd's LogFormat (`%{JK_LB_FIRST_NAME}n` …), SwiftJK next to Debian's
mod_jk: the same notes, with values that mean the same.

One Tomcat; two httpds with the same workers.properties (lb worker1 over two members, both the
same Tomcat, so any member serves) and the same CustomLog of every JK_* note, one loading SwiftJK
and one mod_jk. Ten requests each, one at a time. SwiftJK writes the twenty JK_LB_* notes with one
call into the shim (docs/architecture.md, "the request path"), so this test is what holds their
names and formats to mod_jk's.

SwiftJK sets the notes other than JK_WORKER_NAME only when some directive names them
(docs/architecture.md §5.1): two more SwiftJK httpds show it, one with Debian's `combined`
access log only (no notes; the jk log says so at start-up), one whose LogFormat naming the notes
is in a file pulled in with `Include` (notes set, and the start-up line names that file).
"""

import os
import re

from harness import REFERENCE_MODULE, procs, Httpd, SkipTest, Tomcat, ajp13_worker_lines, http, module_so, note, require_tools
from harness.rundir import fixture_dir

FIELDS = ["NAME", "VALUE", "ACCESSED", "SESSIONS", "READ", "TRANSFERRED", "ERRORS", "BUSY", "ACTIVATION", "STATE"]
NOTES = (["JK_WORKER_NAME", "JK_WORKER_TYPE", "JK_WORKER_ROUTE", "JK_REQUEST_DURATION"]
         + ["JK_LB_FIRST_" + f for f in FIELDS] + ["JK_LB_LAST_" + f for f in FIELDS])
FORMAT = "NOTES URI=%U " + " ".join("%s=%%{%s}n" % (n, n) for n in NOTES)
TC = None
SERVERS = {}
ON_DEMAND = {}
REQUESTS = 10


def setup_module():
    global TC
    require_tools()
    if not os.path.isfile(REFERENCE_MODULE):
        raise SkipTest("reference module missing: %s" % REFERENCE_MODULE)
    TC = Tomcat("notes", "tc1").start_ready()
    lines = ["worker.list=worker1", "worker.worker1.type=lb", "worker.worker1.balance_workers=m1,m2"]
    for name in ("m1", "m2"):
        lines += ajp13_worker_lines(TC, name=name)
    workers = "\n".join(lines) + "\n"
    for label, so in (("SwiftJK", module_so()), ("mod_jk", REFERENCE_MODULE)):
        h = Httpd(so, name="httpd-notes-" + label.lower(), workers_properties=workers,
                  jk_directives="JkMount /*.jsp worker1",
                  extra_conf='LogFormat "%s" jknotes\nCustomLog "logs/notes.log" jknotes\n' % FORMAT)
        SERVERS[label] = h.configtest_and_start()
    included = fixture_dir("notes-include") / "notes.conf"
    included.write_text('LogFormat "%s" jknotes\nCustomLog "logs/notes.log" jknotes\n' % FORMAT)
    for label, extra in (("combined", ""), ("included", 'Include "%s"\n' % included)):
        h = Httpd(module_so(), name="httpd-notes-" + label, workers_properties=workers, access_log="combined",
                  jk_directives="JkMount /*.jsp worker1", extra_conf=extra)
        ON_DEMAND[label] = (h.configtest_and_start(), included)


def teardown_module():
    for f in list(SERVERS.values()) + [h for h, _ in ON_DEMAND.values()] + [TC]:
        if f:
            f.stop()


def logged(h):
    """The notes of each request, in order, as dicts."""
    path = h.root / "logs" / "notes.log"
    rows = []
    for line in path.read_text().splitlines():
        if line.startswith("NOTES URI=/hello.jsp "):
            row = dict(part.split("=", 1) for part in line[6:].split(" "))
            del row["URI"]
            rows.append(row)
    return rows


def test_lb_notes_match_mod_jk():
    for h in SERVERS.values():
        for _ in range(REQUESTS):
            r = http.get(h.url("/hello.jsp"))
            assert r.status == 200, r
    rows = {}
    for label, h in SERVERS.items():
        procs.wait_until(lambda: len(logged(h)) >= REQUESTS, 10, what="%d lines in notes.log" % REQUESTS)
        rows[label] = logged(h)
        note("%s, last request: %s" % (label, " ".join("%s=%s" % kv for kv in rows[label][-1].items())))
    for label, table in rows.items():
        for row in table:
            assert row["JK_WORKER_NAME"] == "worker1", (label, row)
            assert row["JK_WORKER_TYPE"] == "lb", (label, row)
            assert row["JK_WORKER_ROUTE"] in ("m1", "m2"), (label, row)
            assert re.fullmatch(r"\d+\.\d{6}", row["JK_REQUEST_DURATION"]), (label, row)
            for prefix in ("JK_LB_FIRST_", "JK_LB_LAST_"):
                assert row[prefix + "NAME"] in ("m1", "m2"), (label, row)
                assert row[prefix + "ACTIVATION"] == "ACT", (label, row)
                assert row[prefix + "STATE"] == "OK", (label, row)
                assert row[prefix + "ERRORS"] == "0", (label, row)
                for numeric in ("VALUE", "ACCESSED", "SESSIONS", "READ", "TRANSFERRED", "BUSY"):
                    assert re.fullmatch(r"\d+", row[prefix + numeric]), (label, numeric, row)
            # One attempt per request: the first member tried is the last.
            assert row["JK_LB_FIRST_NAME"] == row["JK_LB_LAST_NAME"] == row["JK_WORKER_ROUTE"], (label, row)
    # The same notes, set or unset, in both (a note httpd did not get is logged as "-").
    for swift_row, modjk_row in zip(rows["SwiftJK"], rows["mod_jk"]):
        assert [k for k, v in swift_row.items() if v == "-"] == [k for k, v in modjk_row.items() if v == "-"], \
            (swift_row, modjk_row)
    # READ and TRANSFERRED are AJP bytes on the wire, as mod_jk counts them: per request, the
    # same reply is read (the same Tomcat, the same page) and a request of about the same size
    # is written (the two httpds' Host headers differ only in their port).
    increments = {}
    for label, table in rows.items():
        last = {}
        for row in table:
            member = row["JK_LB_FIRST_NAME"]
            now = (int(row["JK_LB_FIRST_READ"]), int(row["JK_LB_FIRST_TRANSFERRED"]))
            if member in last and now != last[member]:
                increments.setdefault(label, set()).add((now[0] - last[member][0], now[1] - last[member][1]))
            last[member] = now
    note("per-request (read, transferred) increments: %s" % increments)
    for label in ("SwiftJK", "mod_jk"):
        assert increments.get(label), (label, rows[label])
    swift_read = {r for r, _ in increments["SwiftJK"]}
    modjk_read = {r for r, _ in increments["mod_jk"]}
    assert swift_read == modjk_read, increments
    for (_, w1) in increments["SwiftJK"]:
        assert any(abs(w1 - w2) <= 8 for (_, w2) in increments["mod_jk"]), increments
    # Both balance the ten requests over the two members, and count them as accessed.
    for label, table in rows.items():
        served = [row["JK_WORKER_ROUTE"] for row in table]
        assert set(served) == {"m1", "m2"}, (label, served)
        by_member = {}
        for row in table:
            by_member.setdefault(row["JK_LB_FIRST_NAME"], []).append(int(row["JK_LB_FIRST_ACCESSED"]))
        for member, counts in by_member.items():
            assert counts == sorted(counts) and counts[-1] >= len(counts) - 1, (label, member, counts)


def test_notes_only_when_a_directive_names_them():
    for h, _ in ON_DEMAND.values():
        for _ in range(3):
            r = http.get(h.url("/hello.jsp"))
            assert r.status == 200, r
    plain, _ = ON_DEMAND["combined"]
    line = procs.wait_until(lambda: next((l for l in plain.jk_log().splitlines() if "notes: " in l), None), 10,
                            what="the notes line in jk.log")
    note("combined access log only: %s" % line.split("] ", 2)[-1])
    assert "JK_WORKER_TYPE/ROUTE, JK_REQUEST_DURATION not set" in line, line
    assert "JK_LB_FIRST_*/JK_LB_LAST_* not set" in line, line
    h, included = ON_DEMAND["included"]
    line = procs.wait_until(lambda: next((l for l in h.jk_log().splitlines() if "notes: " in l), None), 10,
                            what="the notes line in jk.log")
    note("LogFormat in an included file: %s" % line.split("] ", 2)[-1])
    assert "JK_LB_FIRST_*/JK_LB_LAST_* set (LogFormat at %s:1)" % included in line, line
    procs.wait_until(lambda: len(logged(h)) >= 3, 10, what="3 lines in notes.log")
    for row in logged(h):
        assert row["JK_WORKER_TYPE"] == "lb" and row["JK_WORKER_ROUTE"] in ("m1", "m2"), row
        assert row["JK_LB_LAST_NAME"] == row["JK_WORKER_ROUTE"] and row["JK_LB_FIRST_STATE"] == "OK", row
