"""JkMountFileReload under load: a URI moves from nodeA to nodeB (and back) by editing the
JkMountFile while many keep-alive clients keep requesting it.

JkMountFileReload takes seconds (docs/modjk-behaviour.md §1.1: "Check the mount file's mtime at
most every N s during request processing"; SwiftJK reads the argument as seconds too). Here
it is 2. Each httpd child checks on its own, on a request at least 2 s after its last check,
and compares the file's mtime (whole seconds) with the one it loaded.

Two ways of editing: write a temporary file and rename it over the mount file (atomic), and
rewrite the mount file in place (truncate + write). Either way every request must succeed
(200 from one of the nodes, never a 404 or an error), and every request sent later than the
interval + 2 s after the edit must reach the new node. The measured switch time (edit -> last
request answered by the old node, edit -> first answered by the new one) is reported.

SwiftJK replaces the file's rules on reload: a rule deleted from the file stops mapping, while
JkMount rules stay. (The README lists this as a difference, "mod_jk: rules can only be disabled,
not removed", but Debian's mod_jk 1.2.48 passes this test too: it drops the file's rules on
reload.)
"""

import os
import pathlib
import threading
import time

from harness import (Httpd, SkipTest, Tomcat, ajp13_worker_lines, http, module_so, note,
                     require_tools)
from harness.load import KeepAlive

HERE = pathlib.Path(__file__).resolve().parent
WEBAPP = HERE / "data" / "mountdiff_webapp"
SECRET = "reload-secret-3"
INTERVAL = 2           # JkMountFileReload, seconds
MARGIN = 2.0           # allowed beyond the interval
THREADS = 12
MAX_REQUESTS = 200000  # per phase, all threads together (a bound, not a target)

NODES = {}
HTTPD = None
STATE = {}


def mount_text(node, with_gone=False):
    text = "# written by test_mountfile_reload\n/moving/*=%s\n/fixed/*=nodeA\n" % node
    if with_gone:
        text += "/gone/*=nodeA\n"
    return text


def setup_module():
    global HTTPD
    require_tools()
    so = module_so()
    for name in ("nodeA", "nodeB"):
        t = Tomcat("rl-" + name, name, secret=SECRET, webapp=WEBAPP)
        t.start()
        NODES[name] = t
    for t in NODES.values():
        t.wait_ready(90)
        t.precompile()
    workers = "worker.list=nodeA,nodeB\n" + "\n".join(
        ajp13_worker_lines(NODES["nodeA"], name="nodeA")
        + ajp13_worker_lines(NODES["nodeB"], name="nodeB")) + "\n"
    HTTPD = Httpd(so, workers_properties=workers, name="httpd-reload",
                  jk_directives="JkMountFile conf/reload.properties\n"
                                "JkMountFileReload %d\n"
                                "JkMount /static-rule/* nodeB\n" % INTERVAL)
    HTTPD.create()
    STATE["file"] = HTTPD.root / "conf" / "reload.properties"
    STATE["file"].write_text(mount_text("nodeA", with_gone=True))
    STATE["file"].chmod(0o644)
    HTTPD.configtest_and_start()


def teardown_module():
    if HTTPD:
        HTTPD.stop()
    for t in NODES.values():
        t.stop()


def node_of(resp):
    """'nodeA'/'nodeB' for the whoami page, else a failure description."""
    if resp.status == 200 and resp.body.startswith(b"whoami node="):
        return resp.body.split(b"\n", 1)[0].split(b"=", 1)[1].decode()
    return "status %d: %r" % (resp.status, resp.body[:60])


def run_load(edit, after_s):
    """THREADS keep-alive clients request /moving/x; `edit()` runs once the load is going
    (after 1 s) and returns the monotonic time of the edit; the load continues `after_s`
    seconds after it. Returns (t_edit, [(t_sent, t_done, node-or-failure)])."""
    results = []
    lock = threading.Lock()
    stop = threading.Event()
    count = [0]
    hard_deadline = time.monotonic() + 1 + after_s + 30

    def worker(i):
        client = KeepAlive(HTTPD.port, timeout=15)
        mine = []
        try:
            while not stop.is_set() and time.monotonic() < hard_deadline:
                with lock:
                    if count[0] >= MAX_REQUESTS:
                        break
                    count[0] += 1
                t0 = time.monotonic()
                try:
                    r = client.request("GET", "/moving/x?c=%d" % i)
                    outcome = node_of(r) if r.complete else "truncated %d" % r.status
                except Exception as e:   # a failed request is a result, not a crash
                    client.close()
                    outcome = "error %s: %s" % (type(e).__name__, e)
                mine.append((t0, time.monotonic(), outcome))
        finally:
            client.close()
            with lock:
                results.extend(mine)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(THREADS)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    t_edit = edit()
    time.sleep(after_s)
    stop.set()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads), "load threads did not stop"
    return t_edit, sorted(results)


def check_switch(label, t_edit, results, old, new):
    failures = [r for r in results if r[2] not in ("nodeA", "nodeB")]
    assert not failures, "%s: %d of %d requests failed, e.g. %s" % (
        label, len(failures), len(results), failures[:5])
    before = [r for r in results if r[1] < t_edit]
    assert before and all(r[2] == old for r in before), "%s: before the edit not all %s" % (label, old)
    first_new = min((r[1] for r in results if r[2] == new), default=None)
    last_old_sent = max((r[0] for r in results if r[2] == old), default=None)
    assert first_new is not None, "%s: never switched to %s" % (label, new)
    bound = INTERVAL + MARGIN
    late = [r for r in results if r[0] > t_edit + bound and r[2] != new]
    assert sum(1 for r in results if r[0] > t_edit + bound) >= THREADS, \
        "%s: the load did not run past the bound (request cap reached?)" % label
    rate = len(results) / max(0.001, results[-1][1] - results[0][0])
    note("%s: %d requests (%.0f/s, %d clients), 0 failed; first %s answer %.2fs after the edit, "
         "last request answered by %s sent %.2fs after it (bound %.1fs)"
         % (label, len(results), rate, THREADS, new, first_new - t_edit, old,
            max(0.0, last_old_sent - t_edit), bound))
    assert not late, "%s: %d requests sent more than %.1fs after the edit still reached %s" % (
        label, len(late), bound, old)
    return last_old_sent - t_edit


def wait_next_second(path):
    """Mount file changes are detected by mtime in whole seconds: make sure the edit lands in
    a later second than the file's current mtime."""
    mtime = int(os.stat(path).st_mtime)
    deadline = time.time() + 3
    while int(time.time()) <= mtime and time.time() < deadline:
        time.sleep(0.05)


def test_rename_moves_uri_to_nodeB_under_load():
    path = STATE["file"]
    c = http.Client(HTTPD.port)
    assert node_of(c.get("/moving/x")) == "nodeA"
    assert node_of(c.get("/gone/x")) == "nodeA"
    assert node_of(c.get("/static-rule/x")) == "nodeB"
    c.close()

    def edit():
        wait_next_second(path)
        tmp = path.with_name(".reload.properties.tmp")
        tmp.write_text(mount_text("nodeB"))
        tmp.chmod(0o644)
        os.replace(tmp, path)
        return time.monotonic()

    since = HTTPD.log_size("jk.log")
    t_edit, results = run_load(edit, INTERVAL + MARGIN + 1.5)
    STATE["rename_switch"] = check_switch("rename", t_edit, results, "nodeA", "nodeB")
    c = http.Client(HTTPD.port)
    try:
        # The JkMount rule is kept; the file's rules are replaced (a removed rule is gone).
        assert node_of(c.get("/static-rule/x")) == "nodeB"
        assert node_of(c.get("/fixed/x")) == "nodeA"
        gone = c.get("/gone/x")
    finally:
        c.close()
    # README says mod_jk can only disable rules on reload; Debian's mod_jk 1.2.48 was seen to
    # remove them too (uri_worker_map_clear drops every uriworkermap rule before the load).
    assert gone.status == 404 and b"whoami" not in gone.body and b"tomcat-404" not in gone.body, \
        "a rule removed from the mount file still maps: %s" % node_of(gone)
    log = HTTPD.jk_log(since)
    reloads = log.count("reloaded") + log.count("Reloaded")
    note("jk log: %d reload lines (one per httpd child that saw the change)" % reloads)
    assert reloads >= 1, log[-2000:]
    STATE["renamed"] = True


def test_in_place_rewrite_moves_uri_back_under_load():
    if not STATE.get("renamed"):
        raise SkipTest("needs test_rename_moves_uri_to_nodeB_under_load")
    path = STATE["file"]

    def edit():
        wait_next_second(path)
        with open(path, "r+") as f:      # same inode: truncate and write
            f.truncate(0)
            f.write(mount_text("nodeA"))
        return time.monotonic()

    t_edit, results = run_load(edit, INTERVAL + MARGIN + 1.5)
    STATE["inplace_switch"] = check_switch("in-place", t_edit, results, "nodeB", "nodeA")
