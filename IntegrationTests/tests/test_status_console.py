"""The status worker as an operator's console (docs/status-worker.md), end to end, SwiftJK only.

One real two-node cluster (was1, was2; DeltaManager, channelSendOptions=6) behind lb `worker1`
(sticky, method Request, lbfactor 1:1) serves every test; each test starts its own httpd, so
every balancer starts from a fresh shared memory. Two status workers in every httpd:

- `jkstatus` with `allow_get_updates=true`: what scripts use (changes by GET);
- `jkui` with the defaults: changes only by POST with the page's one-time nonce.

1. prefork, 12+ children: Drain (D) sends every new session to was2 while was1's sessions stay
   on was1; Stop (S) fails them over to was2 with their counters kept; Activate (A) gives was1
   new sessions again. 400 requests per phase on fresh connections, from many children; the D
   and S changes come as POSTs with nonces scraped from pages served by (other) children.
2. drain_timeout=3: a Disabled member nobody sticks to becomes STP within 3 s + 1 s, logged.
3. slow_start=10: after S -> A the member's share of new sessions ramps from ~1/20 of its
   lbfactor's share to all of it over 10 s (1 s buckets under steady load).
4. `user=alice` behind httpd Basic auth: bob gets 403 "Access denied.", alice 200 (and may
   change); a read_only worker (and opt=32) refuses changes with 403.
5. every unsupported command, format, parameter or value gets a 4xx and mod_jk's
   `Result: type=ERROR` answer, and changes nothing.
6. `mime=prometheus` passes `promtool check metrics`, and its counters equal `mime=prop`'s.
7. a change survives a graceful restart ("carried over"), unless workers.properties changed the
   same setting meanwhile (the edited file wins, "not carried over").
"""

import base64
import collections
import json
import re
import subprocess
import threading
import time
import urllib.parse

from harness import Cluster, Httpd, SkipTest, free_port, http, is_reference, module_so, note, procs, \
    require_tools, rundir

try:
    from harness import NotApplicable      # a skip the runner accepts: not for this module
except ImportError:                        # an older harness
    NotApplicable = SkipTest
SECRET = "status-console-secret-41"
LB = "worker1"
CLUSTER = None
HTTPDS = []
PREFORK = {"StartServers": 12, "MinSpareServers": 12, "MaxSpareServers": 24,
           "ServerLimit": 24, "MaxRequestWorkers": 24}


def setup_module():
    global CLUSTER
    require_tools()
    module_so()
    if is_reference():
        raise NotApplicable("SwiftJK's status console (mod_jk's jkstatus has no drain, slow start, "
                       "nonce, 4xx errors or Prometheus output)")
    CLUSTER = Cluster(("was1", "was2"), secret=SECRET, channel_send_options=6)
    CLUSTER.start(timeout=120)
    note("cluster formed in %.2fs (with JSP precompile %.2fs)"
         % (CLUSTER.timings["joined"], CLUSTER.timings["start_total"]))


def teardown_module():
    for h in HTTPDS:
        h.stop()
    if CLUSTER:
        CLUSTER.stop()


# ---------------------------------------------------------------------------------- helpers

def workers_properties(member_extra=None, lb_extra=None, status_extra=None, extra_members=(),
                       factors=None):
    """lb worker1 over was1, was2 (and `extra_members`: (name, port) of dead members), the
    status workers jkstatus (allow_get_updates) and jkui (POST + nonce), and any more status
    workers in `status_extra` ({name: {prop: value}})."""
    member_extra = member_extra or {}
    factors = factors or {}
    status = {"jkstatus": {"allow_get_updates": "true"}, "jkui": {}}
    status.update(status_extra or {})
    members = [n.name for n in CLUSTER] + [name for name, _ in extra_members]
    lines = ["worker.list=%s" % ",".join([LB] + list(status)),
             "worker.%s.type=lb" % LB,
             "worker.%s.balance_workers=%s" % (LB, ",".join(members)),
             "worker.%s.sticky_session=1" % LB]
    lines += ["worker.%s.%s=%s" % (LB, k, v) for k, v in (lb_extra or {}).items()]
    ports = {n.name: n.ajp_port for n in CLUSTER}
    ports.update(dict(extra_members))
    for name in members:
        w = "worker.%s." % name
        lines += [w + "type=ajp13", w + "host=127.0.0.1", w + "port=%d" % ports[name],
                  w + "lbfactor=%d" % factors.get(name, 1), w + "secret=%s" % SECRET]
        lines += [w + "%s=%s" % kv for kv in member_extra.get(name, {}).items()]
    for name, props in status.items():
        lines.append("worker.%s.type=status" % name)
        lines += ["worker.%s.%s=%s" % (name, k, v) for k, v in props.items()]
    return "\n".join(lines) + "\n"


def start_httpd(name, workers=None, status_names=("jkstatus", "jkui"), jk_extra="", **kw):
    mounts = ["JkMount /*.jsp %s" % LB] + ["JkMount /%s %s" % (s, s) for s in status_names]
    h = Httpd(module_so(), workers_properties=workers or workers_properties(),
              jk_directives="\n".join(mounts) + ("\n" + jk_extra if jk_extra else ""), name=name, **kw)
    h.configtest_and_start()
    HTTPDS.append(h)
    return h


def stop_httpd(h):
    h.stop()
    if h in HTTPDS:
        HTTPDS.remove(h)


def ensure_cluster_up():
    for node in CLUSTER:
        if not node.running():
            seconds = CLUSTER.rejoin(node.name, timeout=120)
            note("%s restarted and rejoined in %.2fs" % (node.name, seconds))


def status_get(h, query, path="/jkstatus", headers=None):
    return http.get(h.url("%s?%s" % (path, query) if query else path), headers=headers, timeout=30)


def status_post(h, fields, path="/jkui", headers=None, query=""):
    body = urllib.parse.urlencode(fields).encode()
    hdrs = {"Content-Type": "application/x-www-form-urlencoded"}
    hdrs.update(headers or {})
    return http.request("POST", h.url(path + ("?" + query if query else "")), headers=hdrs, body=body,
                        timeout=30)


def result_line(text):
    """The txt form's `Result: type=X message="..."` as (type, message), or None."""
    m = re.search(r'^Result: type=(\w+) message="(.*)"$', text, re.M)
    return (m.group(1), m.group(2)) if m else None


def prop_result(text):
    kv = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    return kv.get("worker.result.type"), kv.get("worker.result.message")


def members_json(h, path="/jkstatus"):
    """{member name: its json object} of lb worker1."""
    r = status_get(h, "mime=json", path)
    assert r.status == 200, (r, r.text[:500])
    doc = json.loads(r.text)
    lb = next(b for b in doc["balancers"] if b["name"] == LB)
    return {m["name"]: m for m in lb["members"]}


def txt_members(h):
    """{member: {field: value}} from the txt form's `Member:` lines."""
    r = status_get(h, "mime=txt")
    assert r.status == 200, (r, r.text[:500])
    out = {}
    for line in r.text.splitlines():
        if line.startswith("Member: "):
            fields = dict((k, v.strip('"')) for k, v in re.findall(r'(\w+)=("[^"]*"|\S*)', line[len("Member: "):]))
            out[fields["name"]] = fields
    return out


def prop_dict(text):
    """The prop form as {key: value} (the last of a repeated key wins: the per-lb keys repeat)."""
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def update(h, member, **values):
    """A change by GET on jkstatus (allow_get_updates): must answer 200 `Action finished`."""
    query = urllib.parse.urlencode(dict(cmd="update", mime="txt", w=LB, sw=member, **values))
    r = status_get(h, query)
    assert r.status == 200 and result_line(r.text) == ("OK", "Action finished"), (query, r, r.text)
    return r


def page_nonce(h, path="/jkui"):
    """The nonce of a fresh html page (every form of one page carries the same one)."""
    r = status_get(h, "", path)
    assert r.status == 200, (r, r.text[:500])
    nonces = set(re.findall(r'<input type="hidden" name="nonce" value="([^"]+)">', r.text))
    assert len(nonces) == 1, nonces
    return nonces.pop()


def page_result(text):
    m = re.search(r'<p id="result" class="(\w+)">(.*?)</p>', text, re.S)
    return (m.group(1), m.group(2)) if m else None


def post_update(h, member, **values):
    """A change as the page makes it: POST to jkui with a freshly scraped nonce. Returns the
    answer page's #result text."""
    nonce = page_nonce(h)
    r = status_post(h, dict(cmd="update", w=LB, sw=member, nonce=nonce, **values))
    assert r.status == 200, (r, r.text[-800:])
    res = page_result(r.text)
    assert res and res[0] == "ok", res
    return res[1]


def jk_lines(h, since, needle):
    return [line for line in h.jk_log(since).splitlines() if needle in line]


def fresh_connection_requests(h, jars, threads=4, path="/counter.jsp"):
    """One GET per jar (None = new session), each on a new TCP connection, from `threads`
    threads. Returns [(jar, kv)] in completion order; raises on any failure or non-200."""
    results, errors = [], []
    lock = threading.Lock()
    work = list(jars)
    work.reverse()

    def worker():
        while True:
            with lock:
                if not work:
                    return
                jar = work.pop()
            jar = jar if jar is not None else http.CookieJar()
            try:
                r = http.get(h.url(path), jar=jar, timeout=30)
                with lock:
                    if r.status == 200:
                        results.append((jar, r.kv()))
                    else:
                        errors.append("status %d: %s" % (r.status, r.text[:200]))
            except Exception as e:
                with lock:
                    errors.append("%s: %s" % (type(e).__name__, e))

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(120)
    assert not any(t.is_alive() for t in pool), "request threads hang"
    assert not errors, errors[:10]
    return results


def served_pids(h, since):
    entries = [e for e in h.access_entries(since) if "status" in e and "counter.jsp" in e["request"]]
    return collections.Counter(e["pid"] for e in entries)


def session_base(jar):
    return jar.jsessionid.rsplit(".", 1)[0]


# ---------------------------------------------------------------------------------- 1

def test_prefork_drain_stop_activate():
    """prefork with 12+ children. A (baseline): 400 new sessions split about 200:200. D on was1
    (POST + nonce): 200 new sessions all on was2, 200 was1 sessions all still on was1 (count
    2). S on was1 (POST + another nonce): the 200 was1 sessions fail over to was2 with their
    counters kept (count 3, same session id base), 200 new sessions on was2. A again (GET,
    allow_get_updates): 400 new sessions, was1 takes about half again (the activation change
    resets every lb value, as mod_jk does). Every phase is served by >= 8 children."""
    ensure_cluster_up()
    h = start_httpd("httpd-prefork", mpm="prefork", mpm_settings=PREFORK)
    try:
        procs.wait_until(lambda: len(h.children()) >= 12, 20, what="12 prefork children")
        note("prefork children: %d" % len(h.children()))
        table = []

        def phase(label, jars, check):
            mark = h.log_size("access.log")
            results = fresh_connection_requests(h, jars)
            assert len(results) == len(jars), (label, len(results))
            pids = served_pids(h, mark)
            new = collections.Counter(kv["node"] for jar, kv in results if kv["count"] == "1")
            old = collections.Counter(kv["node"] for jar, kv in results if kv["count"] != "1")
            table.append((label, len(results), new["was1"], new["was2"], old["was1"], old["was2"], len(pids)))
            note("%-34s %3d requests: new sessions was1:was2 = %3d:%3d, existing sessions "
                 "was1:was2 = %3d:%3d, %2d children" % table[-1])
            check(results)
            assert len(pids) >= 8, (label, pids)
            return results

        # A: baseline.
        base = phase("A  (baseline)", [None] * 400, lambda res: None)
        split = collections.Counter(kv["node"] for _, kv in base)
        assert abs(split["was1"] - 200) <= 4, dict(split)
        was1_jars = [jar for jar, kv in base if kv["node"] == "was1"][:200]
        assert all(jar.route() == "was1" for jar in was1_jars)
        counts = {id(jar): 1 for jar in was1_jars}

        # D: drain by POST with a nonce from one child's page, consumed by (maybe) another.
        mark = h.log_size("jk.log")
        msg = post_update(h, "was1", vwa="D")
        note("POST vwa=D (nonce): %s" % msg)
        assert "activation ACT → DIS" in msg, msg
        assert txt_members(h)["was1"]["activation"] == "DIS"

        def check_d(results):
            for jar, kv in results:
                if id(jar) in counts:
                    assert kv["node"] == "was1" and kv["count"] == "2", ("sticky session left was1", kv)
                else:
                    assert kv["node"] == "was2" and kv["count"] == "1", ("new session on drained was1", kv)
        jars = list(was1_jars) + [None] * (400 - len(was1_jars))
        phase("D  (was1 disabled: drain)", jars, check_d)

        # S: stop; was1's sessions fail over to was2 with their counters.
        bases = {id(jar): session_base(jar) for jar in was1_jars}
        msg = post_update(h, "was1", vwa="S")
        note("POST vwa=S (nonce): %s" % msg)
        assert "activation DIS → STP" in msg, msg

        def check_s(results):
            for jar, kv in results:
                assert kv["node"] == "was2", ("request on stopped was1", kv)
                if id(jar) in counts:
                    assert kv["count"] == "3", ("session counter lost in the failover", kv)
                    assert kv["session"].rsplit(".", 1)[0] == bases[id(jar)], (kv, bases[id(jar)])
                else:
                    assert kv["count"] == "1", kv
        phase("S  (was1 stopped)", jars, check_s)
        assert all(jar.route() == "was2" for jar in was1_jars), "session ids not re-routed to was2"

        # A: back, by GET on the scripting status worker.
        update(h, "was1", vwa="A")
        after = phase("A  (was1 active again)", [None] * 400, lambda res: None)
        split = collections.Counter(kv["node"] for _, kv in after)
        assert split["was1"] >= 150, ("was1 does not take new sessions again", dict(split))
        assert all(kv["count"] == "1" for _, kv in after)
        log = h.jk_log(mark)
        for change in ("ACT → DIS", "DIS → STP", "STP → ACT"):
            assert re.search(r"status worker jk(ui|status): anonymous from 127\.0\.0\.1 changed member was1 "
                             r"of worker1: activation %s" % change, log), (change, log[-2000:])
        # The nonces are shared by the children: a page from one, its POST to another.
        # Paired in order, GETs with POSTs: a child logs a request after its response went out,
        # so the next request, served by another child, can be logged first.
        ui = [e for e in h.access_entries() if "status" in e and "/jkui" in e["request"]]
        pages = [e for e in ui if e["request"].startswith("GET")]
        posts = [e for e in ui if e["request"].startswith("POST")]
        pairs = ["page pid %d -> POST pid %d" % (a["pid"], b["pid"]) for a, b in zip(pages, posts)]
        note("nonce pages and their POSTs: %s" % "; ".join(pairs))
        assert len(pages) == 2 and len(posts) == 2 and all(e["status"] == 200 for e in ui), ui
        warn = jk_lines(h, 0, "without a valid form nonce")
        assert not warn, warn
    finally:
        stop_httpd(h)


# ---------------------------------------------------------------------------------- 2

def test_drain_timeout_stops_member():
    """worker.was1.drain_timeout=3: was1 has sessions whose clients stopped sending; after D
    the member becomes STP by itself within 3 s + 1 s (txt polled every 100 ms), the json shows
    the countdown meanwhile, the jk log says `member was1 of worker1 drained: ...`, and a
    request of one of its sessions then fails over to was2 with its counter."""
    ensure_cluster_up()
    h = start_httpd("httpd-drain", workers=workers_properties(member_extra={"was1": {"drain_timeout": 3}}))
    try:
        jars = []
        for _ in range(20):
            jar = http.CookieJar()
            r = http.get(h.url("/counter.jsp"), jar=jar, timeout=30)
            assert r.status == 200, r
            if r.kv()["node"] == "was1":
                jars.append(jar)
            if len(jars) == 3:
                break
        assert len(jars) == 3
        for jar in jars:                         # sticky traffic, then the clients go quiet
            r = http.get(h.url("/counter.jsp"), jar=jar, timeout=30)
            assert r.kv()["node"] == "was1" and r.kv()["count"] == "2", r.kv()
        assert members_json(h)["was1"]["drain_timeout"] == 3
        mark = h.log_size("jk.log")
        t0 = time.monotonic()
        update(h, "was1", vwa="D")               # the drain clock starts inside this request
        t_set = time.monotonic()
        polls, countdown = [], []                # (sent, answered, activation)
        for _ in range(100):                     # <= 10 s
            sent = time.monotonic()
            act = txt_members(h)["was1"]["activation"]
            polls.append((sent, time.monotonic(), act))
            if act == "STP":
                break
            if len(countdown) < 40 and int((sent - t0) * 10) % 5 == 0:
                countdown.append((round(sent - t0, 1), members_json(h)["was1"]["drain_stops_in"]))
            time.sleep(max(0.0, 0.1 - (time.monotonic() - sent)))
        assert polls[-1][2] == "STP", ("was1 never became STP", polls[-3:])
        last_dis = max((p for p in polls if p[2] == "DIS"), key=lambda p: p[0])
        first_stp = polls[-1]
        assert all(p[2] in ("DIS", "STP") for p in polls), polls
        # The change happened after the last poll that still saw DIS was sent and before the
        # first poll that saw STP was answered.
        note("drain_timeout=3: DIS set within [+0, +%.3f]s; STP between +%.3fs (last DIS poll sent) and "
             "+%.3fs (first STP poll answered), %d polls"
             % (t_set - t0, last_dis[0] - t0, first_stp[1] - t0, len(polls)))
        note("json drain_stops_in while draining: %s" % ", ".join("%.1fs:%s" % c for c in countdown[:8]))
        assert first_stp[1] - t0 >= 3.0, "STP already %.3fs after D (drain_timeout 3 s)" % (first_stp[1] - t0)
        assert last_dis[0] - t_set <= 3.0 + 1.0, \
            "still DIS %.3fs after D was set (drain_timeout 3 s + 1 s watchdog)" % (last_dis[0] - t_set)
        assert any(c[1] >= 0 for c in countdown), countdown
        lines = procs.wait_until(lambda: jk_lines(h, mark, "member was1 of worker1 drained"), 3,
                                 what="the drain line")
        note("jk log: %s" % lines[0].split("] ", 3)[-1])
        assert "now Stopped (activation DIS → STP)" in lines[0], lines
        time.sleep(1.2)
        assert len(jk_lines(h, mark, "member was1 of worker1 drained")) == 1, "logged by more than one child"
        r = http.get(h.url("/counter.jsp"), jar=jars[0], timeout=30)
        assert r.kv()["node"] == "was2" and r.kv()["count"] == "3", r.kv()
    finally:
        stop_httpd(h)


# ---------------------------------------------------------------------------------- 3

class PacedLoad(threading.Thread):
    """New sessions (GET /counter.jsp, no cookie, fresh connection) every `interval` s until
    stopped; records (start time, node) or failures."""

    def __init__(self, h, stop, interval=0.04, deadline=60.0):
        super().__init__(daemon=True)
        self.h, self.stop_event, self.interval = h, stop, interval
        self.deadline = time.monotonic() + deadline
        self.records, self.failures = [], []

    def run(self):
        next_at = time.monotonic()
        while not self.stop_event.is_set() and time.monotonic() < self.deadline and len(self.records) < 5000:
            t0 = time.monotonic()
            try:
                r = http.get(self.h.url("/counter.jsp"), timeout=30)
                if r.status == 200:
                    self.records.append((t0, r.kv().get("node")))
                else:
                    self.failures.append((t0, "status %d" % r.status))
            except Exception as e:
                self.failures.append((t0, "%s: %s" % (type(e).__name__, e)))
            next_at += self.interval
            delay = next_at - time.monotonic()
            if delay > 0:
                self.stop_event.wait(delay)
            else:
                next_at = time.monotonic()


def test_slow_start_ramp():
    """worker.was1.slow_start=10. was1 is Stopped (all traffic on was2), then Activated by the
    status worker while 4 threads send new sessions at a steady ~100/s. Per 1 s bucket, was1's
    share starts far below its steady share (1/2) and rises to it: during the first second
    below 20 %, by seconds 7-10 at least 35 %, after the ramp (10-12 s) 40-60 %. The json's
    slow_start_percent rises alongside. With each request counting slow_start / elapsed
    requests the share is about e / (10 + e) at e seconds (lbfactor 1:1): still below the
    steady share until the ramp's end (5-9 s: about 41 %, at most 46 % allowed)."""
    ensure_cluster_up()
    h = start_httpd("httpd-slowstart", workers=workers_properties(member_extra={"was1": {"slow_start": 10}}))
    try:
        update(h, "was1", vwa="S")
        stop = threading.Event()
        loads = [PacedLoad(h, stop) for _ in range(4)]
        for t in loads:
            t.start()
        try:
            time.sleep(1.0)
            mark = h.log_size("jk.log")
            update(h, "was1", vwa="A")
            t_a = time.monotonic()
            ramp = []
            for i in range(13):
                target = t_a + 0.5 + i
                time.sleep(max(0.0, target - time.monotonic()))
                if i < 12:
                    ramp.append((i, members_json(h)["was1"]["slow_start_percent"]))
            stop.set()
        finally:
            stop.set()
            for t in loads:
                t.join(30)
        failures = [f for t in loads for f in t.failures]
        assert not failures, failures[:10]
        records = [r for t in loads for r in t.records]
        buckets = collections.OrderedDict((b, collections.Counter()) for b in range(-1, 12))
        for t0, node in records:
            b = int((t0 - t_a) // 1)
            if b in buckets:
                buckets[b][node] += 1
        percent = dict(ramp)
        rows = ["bucket      was1  was2  share  expected  slow_start_percent"]
        shares = {}
        for b, c in buckets.items():
            total = c["was1"] + c["was2"]
            shares[b] = c["was1"] / total if total else 0.0
            mid = b + 0.5
            expected = 0.0 if b < 0 else (0.5 if mid >= 10 else mid / (10 + mid))
            rows.append("%+3d..%+3d s  %4d  %4d  %4.0f%%   %4.0f%%     %s"
                        % (b, b + 1, c["was1"], c["was2"], 100 * shares[b], 100 * expected,
                           percent.get(b, "-")))
        note("slow start, was1 back from STP at 0 s (slow_start=10, lbfactor 1:1, steady share 50 %):")
        for row in rows:
            note("  " + row)
        # A request that started just before the activation may be chosen just after it.
        assert buckets[-1]["was1"] <= 2, buckets[-1]
        assert all(sum(buckets[b].values()) >= 40 for b in range(0, 12)), "load not steady: %s" % dict(buckets)
        assert shares[0] < 0.20, shares
        assert shares[1] < 0.30, shares
        late = sum(buckets[b]["was1"] for b in range(7, 10)) / sum(sum(buckets[b].values()) for b in range(7, 10))
        assert late >= 0.35, ("share at 7-10 s %.2f" % late, shares)
        after = sum(buckets[b]["was1"] for b in (10, 11)) / sum(sum(buckets[b].values()) for b in (10, 11))
        assert 0.40 <= after <= 0.60, ("share after the ramp %.2f" % after, shares)
        early = (shares[0] + shares[1] + shares[2]) / 3
        assert early < late - 0.15, (early, late)
        pct = [p for _, p in ramp]
        assert pct[0] < 20 and pct[-1] == 100 and pct == sorted(pct), ramp
        assert jk_lines(h, mark, "activation STP → ACT"), h.jk_log(mark)[-2000:]
        # The ramp lasts all of slow_start: with each request weighted slow_start / elapsed, the
        # share at 5-9 s is about 41 % (35, 39, 43, 46), still below the steady 50 %.
        mid = sum(buckets[b]["was1"] for b in range(5, 9)) / sum(sum(buckets[b].values()) for b in range(5, 9))
        assert mid <= 0.46, ("the ramp ends early: was1's share at 5-9 s is already %.0f %% (expected about "
                             "41 %%, steady 50 %%) while slow_start_percent says %s"
                             % (100 * mid, [percent.get(b) for b in range(5, 9)]), shares)
    finally:
        stop_httpd(h)


# ---------------------------------------------------------------------------------- 4

def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()}


def test_user_and_read_only():
    """jkauth (user=alice, allow_get_updates) behind httpd Basic auth with alice and bob in an
    htpasswd file: no credentials -> httpd's 401; bob -> 403 `Access denied.` (txt and html)
    and his update changes nothing; alice -> 200, and her update is logged with her name.
    jkro (read_only=true): the list answers 200 without forms, update/reset/edit -> 403
    `This command is not allowed in read only mode.`, by GET and by POST; opt=32 on jkstatus
    makes one request read-only the same way."""
    ensure_cluster_up()
    auth_dir = rundir.fixture_dir("htpasswd")
    passwd = auth_dir / "users"
    for i, (user, pw) in enumerate((("alice", "alice-pw"), ("bob", "bob-pw"))):
        args = ["htpasswd", "-b"] + (["-c"] if i == 0 else []) + [str(passwd), user, pw]
        out = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        assert out.returncode == 0, out.stdout
    passwd.chmod(0o644)
    extra = """
<Location /jkauth>
    AuthType Basic
    AuthName "SwiftJK status"
    AuthUserFile "%s"
    Require valid-user
</Location>
""" % passwd
    workers = workers_properties(status_extra={"jkauth": {"user": "alice", "allow_get_updates": "true"},
                                               "jkro": {"read_only": "true"}})
    h = start_httpd("httpd-auth", workers=workers, status_names=("jkstatus", "jkui", "jkauth", "jkro"),
                    extra_conf=extra, modules=["auth_basic", "authn_file", "authz_user"])
    try:
        alice, bob = basic("alice", "alice-pw"), basic("bob", "bob-pw")
        rows = []

        def case(label, r, want_status, want_text):
            res = result_line(r.text) or page_result(r.text)
            shown = res[1] if res else ("%s page, %d bytes" % (r.header("Content-Type", "?").split(";")[0],
                                                               len(r.body)))
            rows.append((label, r.status, shown))
            assert r.status == want_status, (label, r, r.text[:400])
            assert want_text in r.text, (label, r.text[:400])

        mark = h.log_size("jk.log")
        case("no credentials", status_get(h, "mime=txt", "/jkauth"), 401, "")
        case("bob, list txt", status_get(h, "mime=txt", "/jkauth", headers=bob), 403,
             'Result: type=ERROR message="Access denied."')
        case("bob, list html", status_get(h, "", "/jkauth", headers=bob), 403, "Access denied.")
        q = urllib.parse.urlencode(dict(cmd="update", mime="txt", w=LB, sw="was1", vwa="D"))
        case("bob, update vwa=D", status_get(h, q, "/jkauth", headers=bob), 403,
             'Result: type=ERROR message="Access denied."')
        assert txt_members(h)["was1"]["activation"] == "ACT"
        case("alice, list txt", status_get(h, "mime=txt", "/jkauth", headers=alice), 200,
             "Balancer Worker: name=worker1")
        case("alice, update vwa=D", status_get(h, q, "/jkauth", headers=alice), 200,
             'Result: type=OK message="Action finished"')
        assert txt_members(h)["was1"]["activation"] == "DIS"
        update(h, "was1", vwa="A")

        ro_update = urllib.parse.urlencode(dict(cmd="update", mime="txt", w=LB, sw="was1", vwa="S"))
        readonly = 'Result: type=ERROR message="This command is not allowed in read only mode."'
        r = status_get(h, "", "/jkro")
        case("jkro, html page", r, 200, "member-was1")
        assert "<form" not in r.text, "a read-only page offers forms"
        case("jkro, update by GET", status_get(h, ro_update, "/jkro"), 403, readonly)
        case("jkro, reset by GET", status_get(h, "cmd=reset&mime=txt&w=%s&sw=was1" % LB, "/jkro"), 403, readonly)
        case("jkro, edit by GET", status_get(h, "cmd=edit&mime=txt&w=%s" % LB, "/jkro"), 403, readonly)
        case("jkro, update by POST", status_post(h, dict(cmd="update", mime="txt", w=LB, sw="was1", vwa="S"),
                                                 path="/jkro"), 403, readonly)
        case("jkstatus opt=32, update", status_get(h, ro_update + "&opt=32"), 403, readonly)
        assert txt_members(h)["was1"]["activation"] == "ACT"

        note("%-26s %-6s %s" % ("case", "status", "message"))
        for row in rows:
            note("%-26s %-6s %s" % row)
        time.sleep(0.3)
        log = h.jk_log(mark)
        assert re.search(r"status worker jkauth: user 'alice' from 127\.0\.0\.1 changed member was1 of "
                         r"worker1: activation ACT → DIS", log), log[-2000:]
        denied = [l for l in log.splitlines() if "status worker jkauth: access denied to user 'bob'" in l]
        assert len(denied) == 3, denied
        assert "status worker jkauth: access denied to a request without a user" not in log   # httpd's 401
        note("jk log: %s" % denied[0].split("] ", 3)[-1])
    finally:
        stop_httpd(h)


# ---------------------------------------------------------------------------------- 5

def test_every_unsupported_request_is_an_error():
    """Each unsupported command, format, parameter or value, and each refused change, gets a
    4xx and mod_jk's error answer (`Result: type=ERROR message=...` in txt,
    `worker.result.type=ERROR` in prop and for an unknown format, `#result.error` in html), and
    nothing changes."""
    ensure_cluster_up()
    h = start_httpd("httpd-errors")
    try:
        upd = "cmd=update&w=%s&sw=was1&" % LB
        cases = [   # (label, method, path, query, form, status, form of the answer, message part)
            ("cmd=bogus", "GET", "/jkstatus", "cmd=bogus&mime=txt", None, 400, "txt", "Invalid command."),
            ("cmd=LIST (case-sensitive)", "GET", "/jkstatus", "cmd=LIST&mime=txt", None, 400, "txt", "Invalid command."),
            ("cmd=bogus, prop", "GET", "/jkstatus", "cmd=bogus&mime=prop", None, 400, "prop", "Invalid command."),
            ("mime=bogus", "GET", "/jkstatus", "mime=bogus", None, 400, "prop", "Invalid mime type."),
            ("mime=TXT", "GET", "/jkstatus", "mime=TXT", None, 400, "prop", "Invalid mime type."),
            ("unknown parameter foo=1", "GET", "/jkstatus", "foo=1&mime=txt", None, 400, "txt", "Unknown parameter 'foo'"),
            ("vwa=X", "GET", "/jkstatus", upd + "vwa=X&mime=txt", None, 400, "txt", "Invalid value 'X' for vwa"),
            ("vwf=abc", "GET", "/jkstatus", upd + "vwf=abc&mime=txt", None, 400, "txt", "Invalid value 'abc' for vwf"),
            ("vwf=0", "GET", "/jkstatus", upd + "vwf=0&mime=txt", None, 400, "txt", "Invalid value '0' for vwf"),
            ("vwf=0, prop", "GET", "/jkstatus", upd + "vwf=0&mime=prop", None, 400, "prop", "Invalid value '0' for vwf"),
            ("vahst=10.0.0.9 (ajp runtime)", "GET", "/jkstatus", upd + "vahst=10.0.0.9&mime=txt", None, 400, "txt",
             "vahst (host) is not changed at runtime"),
            ("vlri=5 (lb retry_interval)", "GET", "/jkstatus", "cmd=update&w=%s&vlri=5&mime=txt" % LB, None, 400, "txt",
             "vlri (retry_interval) is not changed at runtime"),
            ("GET update, no allow_get_updates", "GET", "/jkui", upd + "vwa=D&mime=txt", None, 405, "txt",
             "State changes by GET are off"),
            ("POST update without nonce", "POST", "/jkui", "", dict(cmd="update", w=LB, sw="was1", vwa="D", mime="txt"),
             403, "txt", "no valid nonce"),
            ("POST update without nonce, html", "POST", "/jkui", "", dict(cmd="update", w=LB, sw="was1", vwa="D"),
             403, "html", "no valid nonce"),
            ("POST update, forged nonce", "POST", "/jkui", "",
             dict(cmd="update", w=LB, sw="was1", vwa="D", mime="txt", nonce="0123456789abcdef0123456789abcdef"),
             403, "txt", "no valid nonce"),
            ("POST update, replayed nonce", "POST", "/jkui", "", "REPLAY", 403, "txt", "no valid nonce"),
            ("cmd=recover of an OK member", "GET", "/jkstatus", "cmd=recover&w=%s&sw=was1&mime=txt" % LB, None, 409, "txt",
             "Marking worker for recovery failed"),
            ("w=nosuch", "GET", "/jkstatus", "cmd=show&w=nosuch&mime=txt", None, 404, "txt", "Could not find given worker"),
            ("sw=nosuch", "GET", "/jkstatus", "cmd=show&w=%s&sw=nosuch&mime=txt" % LB, None, 404, "txt",
             "could not find sub worker"),
            ("update sw=nosuch", "GET", "/jkstatus", "cmd=update&w=%s&sw=nosuch&vwa=D&mime=txt" % LB, None, 404, "txt",
             "could not find sub worker"),
            ("DELETE", "DELETE", "/jkstatus", "mime=txt", None, 405, "txt", "Method DELETE is not allowed"),
        ]
        rows, problems = [], []
        for label, method, path, query, form, want, kind, part in cases:
            if form == "REPLAY":
                nonce = page_nonce(h)
                fields = dict(cmd="update", w=LB, sw="was1", vwa="A", mime="txt", nonce=nonce)
                first = status_post(h, fields, path=path)
                assert first.status == 200 and result_line(first.text) == ("OK", "Action finished"), \
                    ("the nonce's first use", first, first.text)
                r = status_post(h, fields, path=path)
            elif method == "POST":
                r = status_post(h, form, path=path, query=query)
            else:
                r = http.request(method, h.url("%s?%s" % (path, query)), timeout=30)
            if kind == "txt":
                res = result_line(r.text)
                ok = res is not None and res[0] == "ERROR" and part in res[1]
                message = res[1] if res else r.text[:80]
            elif kind == "prop":
                res = prop_result(r.text)
                ok = res[0] == "ERROR" and part in (res[1] or "")
                message = res[1] or r.text[:80]
            else:
                res = page_result(r.text)
                ok = res is not None and res[0] == "error" and part in res[1]
                message = res[1] if res else r.text[:80]
            rows.append((label, r.status, kind, message))
            if r.status != want or not ok:
                problems.append("%s: want %d %s containing %r, got %d: %s" % (label, want, kind, part, r.status,
                                                                             r.text[:300]))
        note("%-34s %-6s %-5s %s" % ("case", "status", "form", "message"))
        for row in rows:
            note("%-34s %-6s %-5s %s" % row)
        assert not problems, "\n".join(problems)
        m = txt_members(h)
        assert (m["was1"]["activation"], m["was1"]["lbfactor"], m["was2"]["activation"]) == ("ACT", "1", "ACT"), m
    finally:
        stop_httpd(h)


# ---------------------------------------------------------------------------------- 6

PROM_LINE = re.compile(r'^(\w+)\{([^}]*)\} (\S+)$')


def parse_prometheus(text):
    """{(name, frozenset(labels)): value} of the sample lines."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = PROM_LINE.match(line)
        assert m, "not a sample line: %r" % line
        labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2)))
        out[(m.group(1), labels)] = m.group(3)
    return out


def test_prometheus_promtool_and_prop_equality():
    """After traffic (new sessions, sticky requests, POST bodies, a large download, and a dead
    third member that errs and fails over), `mime=prometheus` passes `promtool check metrics`,
    and, read back to back with `mime=prop` and no traffic in between, each member's
    requests/sessions/errors/client_errors/sent/received/busy/lbfactor equal prop's elected,
    sessions, errors, client_errors, transferred, read, busy, lbfactor; state and activation are
    one-hot and match prop. prefork with 6 children: the values are sums over the children.
    Every request is counted once on was1 or was2 (elected), the dead member's elections are its
    errors."""
    ensure_cluster_up()
    dead = free_port()
    h = start_httpd("httpd-prom", workers=workers_properties(extra_members=[("dead", dead)]), mpm="prefork",
                    mpm_settings={"StartServers": 6, "MinSpareServers": 6, "MaxSpareServers": 12,
                                  "ServerLimit": 12, "MaxRequestWorkers": 12})
    try:
        procs.wait_until(lambda: len(h.children()) >= 6, 20, what="6 prefork children")
        served = collections.Counter()
        jars = []
        for _ in range(60):
            jar = http.CookieJar()
            r = http.get(h.url("/counter.jsp"), jar=jar, timeout=30)
            assert r.status == 200, r
            served[r.kv()["node"]] += 1
            jars.append(jar)
        for jar in jars[:30]:
            r = http.get(h.url("/counter.jsp"), jar=jar, timeout=30)
            assert r.status == 200 and r.kv()["count"] == "2", r.kv()
            served[r.kv()["node"]] += 1
        for i in range(10):
            body = bytes((j * 7 + i) % 256 for j in range(20000))
            r = http.request("POST", h.url("/post.jsp"), body=body, timeout=30)
            assert r.status == 200 and r.kv()["length"] == "20000", r.text
        r = http.get(h.url("/big.jsp?size=300000"), timeout=30)
        assert r.status == 200 and len(r.body) == 300000
        time.sleep(0.3)                           # busy counters settle (the access log is written after)
        pids = {e["pid"] for e in h.access_entries() if "status" in e}
        note("traffic served by %d prefork children; the counters are their sum" % len(pids))
        assert len(pids) >= 3, pids
        prop = status_get(h, "mime=prop")
        prom = status_get(h, "mime=prometheus")
        assert prop.status == 200 and prom.status == 200, (prop, prom)
        assert prom.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8", prom.headers
        path = rundir.fixture_dir("prometheus") / "metrics.txt"
        path.write_bytes(prom.body)
        check = subprocess.run(["promtool", "check", "metrics"], input=prom.body, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=60)
        note("promtool check metrics: rc=%d, output: %s" % (check.returncode,
                                                          check.stdout.decode().strip() or "(none)"))
        assert check.returncode == 0, check.stdout.decode()
        p = prop_dict(prop.text)
        samples = parse_prometheus(prom.text)
        pairs = [("swiftjk_member_requests_total", "elected"), ("swiftjk_member_sessions_total", "sessions"),
                 ("swiftjk_member_errors_total", "errors"), ("swiftjk_member_client_errors_total", "client_errors"),
                 ("swiftjk_member_sent_bytes_total", "transferred"), ("swiftjk_member_received_bytes_total", "read"),
                 ("swiftjk_member_busy", "busy"), ("swiftjk_member_lbfactor", "lbfactor")]
        mismatches = []
        for member in ("was1", "was2", "dead"):
            labels = frozenset({("lb", LB), ("member", member)})
            row = []
            for family, key in pairs:
                got, want = samples.get((family, labels)), p.get("worker.%s.%s" % (member, key))
                row.append("%s=%s" % (key, got))
                if got is None or got != want:
                    mismatches.append("%s %s: prometheus %s, prop %s" % (member, family, got, want))
            for family, key, values in (("swiftjk_member_state", "state", ("OK", "OK/IDLE", "OK/BUSY", "ERR",
                                                                            "ERR/REC", "ERR/FRC", "ERR/PRB")),
                                        ("swiftjk_member_activation", "activation", ("ACT", "DIS", "STP"))):
                hot = [v for v in values if samples.get((family, labels | {(key, v)})) == "1"]
                if hot != [p.get("worker.%s.%s" % (member, key))]:
                    mismatches.append("%s %s: one-hot %s, prop %s" % (member, family, hot,
                                                                     p.get("worker.%s.%s" % (member, key))))
                row.append("%s=%s" % (key, ",".join(hot)))
            note("%-5s %s" % (member, " ".join(row)))
        note("served (bodies): was1 %d, was2 %d; lb failovers %s" % (
            served["was1"], served["was2"], samples.get(("swiftjk_lb_failovers_total", frozenset({("lb", LB)})))))
        assert not mismatches, "\n".join(mismatches)
        assert int(p["worker.dead.errors"]) >= 1 and p["worker.dead.state"].startswith("ERR"), \
            {k: v for k, v in p.items() if k.startswith("worker.dead.")}
        for node in ("was1", "was2"):
            assert int(p["worker.%s.elected" % node]) >= served[node], (node, p["worker.%s.elected" % node], served)
            assert int(p["worker.%s.transferred" % node]) > 0 and int(p["worker.%s.read" % node]) > 0
        # Every request was served once by was1 or was2; the dead member was elected only for
        # attempts that failed (and failed over).
        total_jsp = 60 + 30 + 10 + 1
        assert int(p["worker.was1.elected"]) + int(p["worker.was2.elected"]) == total_jsp, \
            (p["worker.was1.elected"], p["worker.was2.elected"], total_jsp)
        assert p["worker.dead.elected"] == p["worker.dead.errors"], (p["worker.dead.elected"], p["worker.dead.errors"])
        assert int(p["worker.was1.read"]) + int(p["worker.was2.read"]) >= 300000
        assert int(p["worker.was1.transferred"]) + int(p["worker.was2.transferred"]) >= 200000
    finally:
        stop_httpd(h)


# ---------------------------------------------------------------------------------- 7

def test_change_survives_graceful_unless_file_edited():
    """was1 set to D and its lbfactor to 4 by the status worker; a graceful restart keeps both
    (status DIS and 4, new sessions all on was2, jk log `carried over`). Then workers.properties
    changes was1's lbfactor to 2 and httpd restarts gracefully again: the edited file wins for
    the lbfactor (2, `not carried over`) while the activation, unchanged in the file, stays DIS.
    A stop then leaves no `.changes` file behind."""
    ensure_cluster_up()
    h = start_httpd("httpd-graceful")
    try:
        update(h, "was1", vwa="D")
        update(h, "was1", vwf=4)
        m = txt_members(h)["was1"]
        assert (m["activation"], m["lbfactor"]) == ("DIS", "4"), m
        mark = h.log_size("jk.log")
        seconds = h.graceful()
        m = txt_members(h)["was1"]
        note("graceful restart (%.2fs): was1 activation=%s lbfactor=%s" % (seconds, m["activation"], m["lbfactor"]))
        time.sleep(0.3)
        carried = jk_lines(h, mark, "carried over")
        for line in carried:
            note("jk log: %s" % line.split("] ", 3)[-1])
        assert (m["activation"], m["lbfactor"]) == ("DIS", "4"), m
        assert any("carried over the restart" in l and "activation" in l for l in carried), carried
        assert any("carried over the restart" in l and "lbfactor" in l for l in carried), carried
        nodes = collections.Counter(kv["node"] for _, kv in fresh_connection_requests(h, [None] * 20))
        assert nodes == {"was2": 20}, nodes

        h.workers_properties = workers_properties(factors={"was1": 2})
        h.write_config()
        mark = h.log_size("jk.log")
        seconds = h.graceful()
        m = txt_members(h)["was1"]
        note("workers.properties was1 lbfactor 1 -> 2, graceful (%.2fs): was1 activation=%s lbfactor=%s"
             % (seconds, m["activation"], m["lbfactor"]))
        time.sleep(0.3)
        lines = jk_lines(h, mark, "carried over")
        for line in lines:
            note("jk log: %s" % line.split("] ", 3)[-1])
        assert m["lbfactor"] == "2", ("the edited workers.properties did not win", m)
        assert m["activation"] == "DIS", ("the unchanged activation was not carried over", m)
        assert any("not carried over" in l and "lbfactor" in l for l in lines), lines
        assert any("carried over the restart" in l and "activation" in l for l in lines), lines
        # A stop carries nothing: a start that gets the same pid (httpd as pid 1 in a
        # container) must begin from workers.properties, as with mod_jk.
        h.stop()
        leftovers = sorted(p.name for p in (h.root / "logs").glob("*.changes"))
        assert not leftovers, ("a stop left operator changes for the next start", leftovers)
    finally:
        stop_httpd(h)
