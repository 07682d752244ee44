#!/usr/bin/env python3
"""make bench-failover: failover and recovery times, SwiftJK against Debian's mod_jk, in one run.

Starts two clustered Tomcats (was1, was2; DeltaManager, synchronous replication) and, side by
side, two httpds (event MPM) with the same workers.properties (lb worker1, sticky, lbfactor 1:1,
every other setting at its default) — one loading mod_swiftjk.so, one Debian's mod_jk.so. Then:

(a) failover: each module gets a session on the same node (the owner), used a few times so the
    pooled AJP connections exist; the owner is SIGKILLed and N requests (default 20) are sent
    to each module with that same, unchanged cookie (first one right after the kill, modules
    alternating). Reported: the first request, the median and the max, in ms, and any non-200.
(a') failover trials (--trials, default 5): the same kill repeated; between trials the owner is
    restarted and rejoins, and both httpds are restarted (so mod_jk, which would keep the node
    in error for a minute, starts from the same state as SwiftJK). Reported per module: the
    median and max of the first request after each kill, and the survivor Tomcat's own time
    for that request (its access log %D), so the module's share shows.
(b) recovery: the killed owner is started again; from the moment its AJP port accepts a
    connection, each module gets one new-session request (no cookie) about every 100 ms until
    one is served by the restarted node. Reported: seconds from "AJP port answers" to "new
    sessions reach it again" (or "> bound" if that never happens within --bound seconds).

Run manually (not part of make test); standard library only. Only numbers from the same run
compare: the machine is small and shared.
"""

import argparse
import os
import pathlib
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "IntegrationTests"))
os.environ.setdefault("HARNESS_RUN_DIR", str(ROOT / "bench" / "run" / ("failover-" + time.strftime("%Y%m%d-%H%M%S"))))

from harness import Cluster, Httpd, http, ports, procs  # noqa: E402

REFERENCE = "/usr/lib/apache2/modules/mod_jk.so"
SECRET = "bench-failover-secret"


def say(text=""):
    print(text, flush=True)


def get(httpd, cookie=None):
    """One GET /counter.jsp on a new connection. Returns (status, node, seconds)."""
    headers = {"Cookie": cookie} if cookie else None
    t0 = time.monotonic()
    try:
        r = http.get(httpd.url("/counter.jsp"), headers=headers, timeout=60)
    except OSError as error:
        return "error: %s" % error, None, time.monotonic() - t0
    return r.status, r.kv().get("node") if r.status == 200 else None, r.elapsed


def session_on(httpd, owner=None, tries=20):
    """A JSESSIONID cookie (name=value) of a new session, on `owner` if given."""
    for _ in range(tries):
        jar = http.CookieJar()
        r = http.get(httpd.url("/counter.jsp"), jar=jar, timeout=30)
        if r.status == 200 and (owner is None or r.kv().get("node") == owner):
            return "JSESSIONID=" + jar.jsessionid, r.kv()["node"]
    raise RuntimeError("%s: no session on %s after %d new sessions" % (httpd.name, owner, tries))


def failover(servers, cluster, requests):
    """(a): returns {label: {"times": [s...], "statuses": [...], "nodes": [...]}} and the owner."""
    cookies = {}
    first_label = next(iter(servers))
    cookie, owner = session_on(servers[first_label])
    cookies[first_label] = cookie
    for label, httpd in servers.items():
        if label != first_label:
            cookies[label], _ = session_on(httpd, owner)
    for label, httpd in servers.items():      # warm: pooled connections to the owner exist
        for _ in range(5):
            status, node, _ = get(httpd, cookies[label])
            if status != 200 or node != owner:
                raise RuntimeError("%s: sticky warm-up got %s from %s" % (label, status, node))
    say("bench: sessions on %s; SIGKILL of %s, then %d requests per module with the same cookie"
        % (owner, owner, requests))
    results = {label: {"times": [], "statuses": [], "nodes": []} for label in servers}
    cluster[owner].kill9()
    labels = list(servers)
    for i in range(requests):
        for label in (labels if i % 2 == 0 else list(reversed(labels))):
            status, node, seconds = get(servers[label], cookies[label])
            results[label]["times"].append(seconds)
            results[label]["statuses"].append(status)
            results[label]["nodes"].append(node)
    return results, owner


def tomcat_ms(node, since):
    """The %D of the first access-log line of `node` after byte offset `since`, in ms (Tomcat
    10.1's %D counts microseconds; the harness pattern writes it as `<n>ms`)."""
    text = node.access_log()[since:]
    for line in text.splitlines():
        for word in line.split():
            if word.endswith("ms") and word[:-2].isdigit():
                return int(word[:-2]) / 1000.0
    return None


def failover_trials(servers, cluster, trials):
    """(a'): {label: [(first-request seconds, survivor Tomcat ms), ...]}."""
    results = {label: [] for label in servers}
    labels = list(servers)
    for trial in range(trials):
        cookies = {}
        cookies[labels[0]], owner = session_on(servers[labels[0]])
        for label in labels[1:]:
            cookies[label], _ = session_on(servers[label], owner)
        for label in labels:
            for _ in range(5):
                status, node, _ = get(servers[label], cookies[label])
                if status != 200 or node != owner:
                    raise RuntimeError("%s: sticky warm-up got %s from %s" % (label, status, node))
        survivor = next(n for n in cluster if n.name != owner)
        cluster[owner].kill9()
        for label in (labels if trial % 2 == 0 else list(reversed(labels))):
            since = len(survivor.access_log())
            status, node, seconds = get(servers[label], cookies[label])
            if status != 200 or node != survivor.name:
                raise RuntimeError("%s: failover got %s from %s" % (label, status, node))
            results[label].append((seconds, tomcat_ms(survivor, since)))
        say("bench: trial %d: first request after SIGKILL of %s: %s" % (trial + 1, owner, ", ".join(
            "%s %.1f ms" % (label, results[label][-1][0] * 1000) for label in labels)))
        cluster.rejoin(owner)
        for httpd in servers.values():
            httpd.restart()
    return results


def recovery(servers, cluster, owner, bound, interval=0.1):
    """(b): restart `owner`; from its AJP port answering, poll new sessions through each module
    until one lands on it. Returns ({label: seconds or None}, facts)."""
    node = cluster[owner]
    t_launch = time.monotonic()
    node.start()
    deadline = t_launch + 120
    while not ports.is_listening(node.ajp_port, timeout=0.2):
        if time.monotonic() >= deadline or not node.running():
            raise RuntimeError("%s: AJP port never answered:\n%s" % (owner, node.log_tail()))
        time.sleep(0.01)
    t_ajp = time.monotonic()
    say("bench: %s restarted, AJP port answers after %.2fs; polling new sessions every %d ms (bound %d s)"
        % (owner, t_ajp - t_launch, interval * 1000, bound))
    recovered = {label: None for label in servers}
    polls = {label: 0 for label in servers}
    errors = {label: 0 for label in servers}
    t_ready = None
    next_poll = t_ajp
    while time.monotonic() - t_ajp < bound and any(v is None for v in recovered.values()):
        if t_ready is None and "Server startup in" in node.log_since_start():
            t_ready = time.monotonic()
        for label, httpd in servers.items():
            if recovered[label] is not None:
                continue
            status, served_by, _ = get(httpd)
            polls[label] += 1
            if status != 200:
                errors[label] += 1
            elif served_by == owner:
                recovered[label] = time.monotonic() - t_ajp
                say("bench: %s gives new sessions to %s again %.2fs after its AJP port answered"
                    % (label, owner, recovered[label]))
        next_poll += interval
        time.sleep(max(0.0, next_poll - time.monotonic()))
    facts = {"ajp_after_launch": t_ajp - t_launch, "polls": polls, "errors": errors,
             "ready_after_ajp": (t_ready - t_ajp) if t_ready else None}
    return recovered, facts


def table(fail, recovered, facts, requests, bound, owner, trials):
    labels = list(fail)
    ms = {label: [t * 1000 for t in fail[label]["times"]] for label in labels}
    firsts = {label: [t * 1000 for t, _ in trials[label]] for label in labels}
    tomcat = {label: [m for _, m in trials[label] if m is not None] for label in labels}
    n = len(next(iter(trials.values()), []))
    rows = [
        ("failover, %d kills: 1st request, median (ms)" % n, ["%.1f" % statistics.median(firsts[l]) for l in labels]),
        ("failover, %d kills: 1st request, max (ms)" % n, ["%.1f" % max(firsts[l]) for l in labels]),
        ("  of which the survivor Tomcat, median (ms)", ["%.1f" % statistics.median(tomcat[l]) if tomcat[l] else "?" for l in labels]),
        ("failover: 1st request after SIGKILL (ms)", ["%.1f" % ms[l][0] for l in labels]),
        ("failover: median of %d requests (ms)" % requests, ["%.1f" % statistics.median(ms[l]) for l in labels]),
        ("failover: max of %d requests (ms)" % requests, ["%.1f" % max(ms[l]) for l in labels]),
        ("failover: non-200 answers", [str(sum(1 for s in fail[l]["statuses"] if s != 200)) for l in labels]),
        ("failover: served by", [",".join(sorted({str(n) for n in fail[l]["nodes"]})) for l in labels]),
        ("recovery: AJP port answers → new sessions on %s (s)" % owner,
         ["%.2f" % recovered[l] if recovered[l] is not None else "> %d" % bound for l in labels]),
        ("recovery: polls (non-200 among them)", ["%d (%d)" % (facts["polls"][l], facts["errors"][l]) for l in labels]),
    ]
    width = max(len(r[0]) for r in rows)
    lines = ["| %-*s | %s |" % (width, "", " | ".join("%10s" % l for l in labels)),
             "|%s|%s|" % ("-" * (width + 2), "|".join("-" * 12 for _ in labels))]
    for name, values in rows:
        lines.append("| %-*s | %s |" % (width, name, " | ".join("%10s" % v for v in values)))
    return "\n".join(lines)


MARK = "<!-- section written by bench/failover.py (make bench-failover) -->"


def write_section(result, footer):
    """Replaces (or appends) this script's section of BENCHMARKS.md; bench.py keeps it."""
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    at = text.find(MARK)
    if at >= 0:
        text = text[:at].rstrip("\n") + "\n"
    section = (MARK + "\n\n## Failover and recovery (`make bench-failover`, about 3 minutes)\n\n"
               "Two clustered Tomcats, SwiftJK and mod_jk side by side with the same workers.properties "
               "(lb, sticky, every timeout at its default). The first request after SIGKILL of the "
               "session's owner is the failover; the survivor's own time for it comes from its access "
               "log.\n\n" + result + "\n\n" + footer + "\n")
    path.write_text(text + "\n" + section)
    say("bench: wrote the failover section of BENCHMARKS.md")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", default=str(ROOT / "mod_swiftjk.so"))
    parser.add_argument("--reference", default=REFERENCE)
    parser.add_argument("--requests", type=int, default=20, help="failover requests per module (>= 20)")
    parser.add_argument("--bound", type=int, default=180, help="recovery bound in seconds")
    parser.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    parser.add_argument("--trials", type=int, default=7, help="repeated kills for the failover median")
    args = parser.parse_args()
    if args.requests < 20:
        sys.exit("bench-failover: --requests must be at least 20")
    for path in (args.module, args.reference):
        if not os.path.isfile(path):
            sys.exit("bench-failover: %s is missing" % path)
    if os.geteuid() != 0:
        sys.exit("bench-failover: run as root (httpd starts as root and switches to www-data)")
    os.umask(0o022)
    procs.become_subreaper()
    fixtures = []
    try:
        say("bench: starting two clustered Tomcats ...")
        cluster = Cluster(("was1", "was2"), secret=SECRET, channel_send_options=6)
        fixtures.append(cluster)
        cluster.start(timeout=120)
        properties = cluster.workers_properties()
        servers = {}
        for label, so in (("SwiftJK", args.module), ("mod_jk", args.reference)):
            httpd = Httpd(so, mpm="event", workers_properties=properties, name=label.lower(),
                          jk_directives="JkMount /*.jsp worker1")
            rc, out = httpd.configtest()
            if rc != 0:
                sys.exit("bench-failover: apache2 -t failed for %s:\n%s" % (label, out))
            httpd.start()
            fixtures.append(httpd)
            servers[label] = httpd
        trials = failover_trials(servers, cluster, args.trials)
        fail, owner = failover(servers, cluster, args.requests)
        recovered, facts = recovery(servers, cluster, owner, args.bound)
        say()
        result = table(fail, recovered, facts, args.requests, args.bound, owner, trials)
        say(result)
        say()
        ready = facts["ready_after_ajp"]
        footer = ("Tomcat %s: AJP port answered %.2fs after launch; 'Server startup in' logged %s after that. "
                  "Defaults everywhere (mod_jk: recover_time 60 s, checked at maintenance every 60 s; "
                  "SwiftJK: watchdog CPING every 1 s)." % (owner, facts["ajp_after_launch"],
                                                            "%.2fs" % ready if ready is not None else "not yet"))
        say(footer)
        if not args.no_write:
            write_section(result, footer)
    finally:
        for fixture in reversed(fixtures):
            try:
                fixture.stop()
            except Exception as error:
                say("bench: stopping %s: %s" % (fixture, error))
        procs.cleanup_all()


if __name__ == "__main__":
    main()
