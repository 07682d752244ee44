#!/usr/bin/env python3
"""make demo: httpd + SwiftJK in front of two clustered Tomcats on 127.0.0.1, and a session that
survives the failover of its Tomcat.

Starts was1 and was2 (Tomcat 10, SimpleTcpCluster + DeltaManager + JvmRouteBinderValve, static
membership on 127.0.0.1), and httpd configured like the classic deployment (JkMount /*.jsp
worker1; worker1 = lb over was1, was2, sticky_session=1, lbfactor 1). Then it tells the story,
prints a URL to try, and keeps everything running until Ctrl-C or `make demo-stop`, which stop
every process by its PID.
"""

import argparse
import json
import os
import pathlib
import signal
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
STATE = ROOT / "demo" / "run" / "state.json"


def say(text=""):
    print(text, flush=True)


def stop_recorded():
    """Stops the processes recorded by a running demo, by PID."""
    sys.path.insert(0, str(ROOT / "IntegrationTests"))
    from harness import procs
    if not STATE.exists():
        say("demo: nothing to stop")
        return
    pids = json.loads(STATE.read_text())
    for name, pid in pids.items():
        how = procs.terminate(pid, grace=10)
        say("demo: stopped %s (pid %d, %s)" % (name, pid, how))
    STATE.unlink()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--module", default=str(ROOT / "mod_swiftjk.so"))
    parser.add_argument("--stop", action="store_true", help="stop a running demo")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--no-wait", action="store_true", help="stop after the story (no Ctrl-C wait)")
    args = parser.parse_args()
    if args.stop:
        stop_recorded()
        return 0
    if STATE.exists():
        say("demo: a demo seems to be running (%s); stopping it first" % STATE)
        stop_recorded()
    run = ROOT / "demo" / "run" / time.strftime("%Y%m%d-%H%M%S")
    os.environ["HARNESS_RUN_DIR"] = str(run)
    sys.path.insert(0, str(ROOT / "IntegrationTests"))
    from harness import Cluster, Httpd, http, ports, procs

    fixtures = []

    def record():
        pids = {}
        for f in fixtures:
            if getattr(f, "pid", None):
                pids[getattr(f, "name", "httpd")] = f.pid
        STATE.parent.mkdir(parents=True, exist_ok=True)
        STATE.write_text(json.dumps(pids))

    def shutdown(*_):
        say("\ndemo: stopping everything")
        for f in reversed(fixtures):
            try:
                f.stop()
            except Exception as error:  # keep stopping the others
                say("demo: %s" % error)
        if STATE.exists():
            STATE.unlink()
        sys.exit(0)

    signal.signal(signal.SIGINT, shutdown)
    signal.signal(signal.SIGTERM, shutdown)
    procs.become_subreaper()

    say("SwiftJK demo — the classic deployment on 127.0.0.1")
    say("Starting two clustered Tomcats, was1 and was2 (session replication, static membership) ...")
    cluster = Cluster(("was1", "was2"), secret="demo-secret")
    fixtures.extend(cluster.nodes)
    cluster.start(timeout=120)
    record()
    say("  both up and clustered in %.1f s" % cluster.timings["start_total"])
    port = args.port if not ports.is_listening(args.port) else ports.free_port()
    httpd = Httpd(args.module, port=port, workers_properties=cluster.workers_properties(status_worker="jkstatus"),
                  jk_directives="JkMount /*.jsp worker1\nJkMount /jkstatus jkstatus\nJkLogLevel info", name="httpd")
    rc, out = httpd.configtest()
    if rc != 0:
        say("apache2 -t failed:\n" + out)
        shutdown()
    httpd.start()
    fixtures.append(httpd)
    record()
    url = httpd.url("/counter.jsp")
    jk_log = httpd.root / "logs" / "jk.log"
    say("httpd with %s is listening: %s" % (pathlib.Path(args.module).name, httpd.url("/")))
    say()

    jar = http.CookieJar()

    def visit():
        response = http.get(url, jar=jar, timeout=30)
        kv = response.kv()
        say("  GET /counter.jsp -> HTTP %d, count=%s, served by %s, session %s"
            % (response.status, kv.get("count"), kv.get("node"), kv.get("session", "")))
        return kv

    say("1. A browser (one cookie jar) asks for the counter five times; the session sticks to one node:")
    for _ in range(5):
        kv = visit()
    owner = kv.get("node")
    survivor = "was2" if owner == "was1" else "was1"
    say()
    say("2. The owner, %s, is stopped (as if it crashed or was taken down) ..." % owner)
    cluster[owner].stop()
    record()
    say("   The next request goes to %s, and the count continues: the session survived." % survivor)
    started = time.monotonic()
    kv = visit()
    say("   (that request took %.1f ms; Tomcat's JvmRouteBinderValve moved the session id to .%s)"
        % ((time.monotonic() - started) * 1000, survivor))
    visit()
    say()
    say("3. %s is started again and rejoins the cluster ..." % owner)
    seconds = cluster.rejoin(owner, timeout=120)
    record()
    deadline = time.monotonic() + 10
    line = ""
    while time.monotonic() < deadline and "OK again" not in line:
        text = jk_log.read_text(errors="replace") if jk_log.exists() else ""
        line = next((l for l in reversed(text.splitlines()) if "OK again" in l), "")
        time.sleep(0.2)
    say("   rejoined after %.1f s; the jk log says:" % seconds)
    if line:
        say("   " + line)
    say("   New sessions are balanced over both nodes again; this session stays with %s:" % survivor)
    visit()
    say()
    say("Try it yourself: %s   (a browser keeps the session cookie)" % url)
    say("The status page: %s   (drain, stop or activate a member; also ?mime=txt, prop, xml, json, prometheus)"
        % httpd.url("/jkstatus"))
    say("The jk log:       tail -f %s" % jk_log)
    if args.no_wait:
        shutdown()
    say("Ctrl-C (or `make demo-stop` in another terminal) stops httpd and both Tomcats.")
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main())
