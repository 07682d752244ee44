"""A busy Tomcat is not a hung one (docs/architecture.md §5, step 8).

Tomcat answers a CPING only from a free request thread, queued behind the requests already
waiting. With every thread taken, the module's liveness check (a silence of ping_timeout, then a
CPING on a new connection) and the CPING after connect would both time out as if the JVM were
stopped, and requests Tomcat was about to serve were answered 504. Here the AJP connector has
maxThreads=4 and 16 clients keep it saturated with 1.5 s requests, so requests wait up to ~4.5 s
in Tomcat's queue (more than the 3 s ping_timeout) while others keep completing. With the
module's DEFAULT settings every request must be answered 200, as with mod_jk (which has no
CPING by default and just waits). One httpd child, so the requests that complete are seen by the
child whose requests wait.
"""

import collections
import threading
import time

from harness import Httpd, Tomcat, ajp13_worker_lines, http, module_so, note, require_tools

TOMCAT = HTTPD = None
CLIENTS = 16
EACH = 2
SLOW_MS = 1500


def setup_module():
    global TOMCAT, HTTPD
    require_tools()
    TOMCAT = Tomcat("busy", "busy", extra_connector_attrs={"maxThreads": "4"})
    TOMCAT.start()
    TOMCAT.wait_ready(60)
    TOMCAT.precompile()
    workers = "\n".join(["worker.list=solo"] + ajp13_worker_lines(TOMCAT, name="solo")) + "\n"
    HTTPD = Httpd(module_so(), mpm="event", workers_properties=workers, name="httpd-busy",
                  mpm_settings={"StartServers": 1, "MinSpareThreads": 5, "MaxSpareThreads": 50},
                  jk_directives="JkMount /*.jsp solo")
    HTTPD.configtest_and_start()


def teardown_module():
    if HTTPD:
        HTTPD.stop()
    if TOMCAT:
        TOMCAT.stop()


def test_saturated_tomcat_answers_every_request():
    assert http.get(HTTPD.url("/hello.jsp"), timeout=10).status == 200
    since = HTTPD.log_size("jk.log")
    outcomes = collections.Counter()
    latencies = []
    lock = threading.Lock()

    def client():
        for _ in range(EACH):
            t0 = time.monotonic()
            try:
                status = http.get(HTTPD.url("/slow.jsp?ms=%d" % SLOW_MS), timeout=60).status
            except Exception as error:  # a client timeout or reset is an outcome to report
                status = type(error).__name__
            with lock:
                outcomes[status] += 1
                latencies.append(time.monotonic() - t0)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    latencies.sort()
    errors = [l.split("] ", 3)[-1] for l in HTTPD.jk_log(since).splitlines() if "[error]" in l]
    note("%d requests in %.1f s: %s; latency median %.1f s, max %.1f s" % (
        len(latencies), time.monotonic() - t0, dict(outcomes), latencies[len(latencies) // 2], latencies[-1]))
    note("jk.log errors: " + (" | ".join(errors[:4]) or "(none)"))
    assert outcomes == {200: CLIENTS * EACH}, "expected every request answered 200: %s; %s" % (dict(outcomes), errors[:4])
    assert max(latencies) > 3.5, "the queue never grew past ping_timeout: the test did not saturate Tomcat"
