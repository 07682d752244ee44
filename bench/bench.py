#!/usr/bin/env python3
"""make bench: SwiftJK against Debian's mod_jk, in one run, on the same machine and backends.

A small matrix. Its base configuration is the one of issue 15 (an independent side-by-side run):
event MPM (StartServers 2, ThreadsPerChild 25, MaxRequestWorkers 150), KeepAlive On with
MaxKeepAliveRequests 10000, an access log, JkShmFile, JkLogLevel info, JkLogStampFormat,
`JkMount /*.jsp worker1` and `JkMount /jkstatus jkstatus`, worker.list=worker1,jkstatus, and
worker1 an lb (sticky_session=1) over two ajp13 members with an AJP secret and every timeout at
its default. The cells vary one thing or two from there:

- the backend: two C null AJP containers (bench/ajp-null-c.c, compiled here with `cc -O2`: a
  5-header 200 with a 13-byte body), two Swift ones (ajp-null-backend), or two Tomcats (tiny JSP,
  sticky-session JSP, 64 KiB response, 1 MiB POST);
- ThreadsPerChild 25 or 64; the secret on or off (null backends only); 16 or 64 connections.

Every configuration runs in two httpds at once (same config, one loading Debian's mod_jk.so, one
mod_swiftjk.so). Each cell is measured in interleaved rounds A B, B A, … (wrk -t2, keep-alive), both
httpds restarted and warmed up before each round (one start's luck, such as how the connections
spread over the children, lasts for the life of its children), and reports req/s, p99, httpd CPU per request (from /proc), wrk's socket errors and the
non-2xx answers (counted in the access log), and the ratios SwiftJK / mod_jk. Also RSS and PSS
per child under the issue configuration, the JkLogLevel debug cost, and the micro-benchmarks.
Writes bench/results/latest.{json,md} and BENCHMARKS.md (only for a run of the whole matrix).

Only ratios from the same run mean anything: the machine is small and shared.
"""

import argparse
import collections
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "IntegrationTests"))
os.environ.setdefault("HARNESS_RUN_DIR", str(ROOT / "bench" / "run" / time.strftime("%Y%m%d-%H%M%S")))

from harness import Httpd, Tomcat, http, ports, procs, rundir  # noqa: E402

REFERENCE = "/usr/lib/apache2/modules/mod_jk.so"
NULL_BACKEND = ROOT / ".build" / "release" / "ajp-null-backend"
NULL_C_SOURCE = ROOT / "bench" / "ajp-null-c.c"
MICROBENCH = ROOT / ".build" / "release" / "swiftjk-microbench"
CLK = os.sysconf("SC_CLK_TCK")
SECRET = "bench-secret"
LABELS = ("mod_jk", "SwiftJK")

LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %.1f %.1f %.1f %d %d %d %d %d\\n", summary.requests,
    e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50),
    latency:percentile(99), latency:percentile(99.9), summary.duration, e.connect, e.read, e.write, e.timeout))
end
"""

WORKLOADS = {
    # name: (path, description, extra wrk lua prefix)
    "hello": ("/hello.jsp", "tiny JSP, no session", ""),
    "sticky": ("/counter.jsp", "sticky-session JSP", ""),
    "64k": ("/big.jsp?size=65536", "64 KiB response", ""),
    "post1m": ("/post.jsp", "1 MiB POST",
               'wrk.method = "POST"\nwrk.body = string.rep("x", 1048576)\n'
               'wrk.headers["Content-Type"] = "application/octet-stream"\n'),
}

BACKENDS = {"nullc": "C null AJP", "nullswift": "Swift null AJP", "tomcat": "two Tomcats"}

# MPM settings per ThreadsPerChild; 25 is issue 15's (and Debian's) event MPM configuration.
MPM = {
    25: {"StartServers": 2, "ThreadsPerChild": 25, "ThreadLimit": 64, "MinSpareThreads": 25,
         "MaxSpareThreads": 75, "MaxRequestWorkers": 150, "MaxConnectionsPerChild": 0},
    64: {"StartServers": 2, "ThreadsPerChild": 64, "ThreadLimit": 64, "MinSpareThreads": 64,
         "MaxSpareThreads": 192, "MaxRequestWorkers": 256, "MaxConnectionsPerChild": 0},
}


class Cell:
    """One line of the table: a configuration (backend, threads, secret) and a load."""

    def __init__(self, backend, threads, secret, workload, connections, issue=False, log="combined", pace_ms=0):
        self.backend, self.threads, self.secret = backend, threads, secret
        self.workload, self.connections, self.issue = workload, connections, issue
        # pace_ms > 0: each connection waits that long between a response and its next request
        # (wrk's delay()), so both modules carry the same load, below saturation: a latency
        # comparison at equal req/s, beside the closed-loop cells that compare capacity.
        self.pace_ms = pace_ms
        self.log = log  # the access log's format: "combined" (Debian's) or "notes" (names JK_* notes)

    @property
    def config(self):
        return (self.backend, self.threads, self.secret, self.log)

    @property
    def id(self):
        return "%s-%s-t%d-%s-c%d%s%s" % (self.backend, self.workload, self.threads,
                                         "secret" if self.secret else "nosecret", self.connections,
                                         "-notes" if self.log == "notes" else "",
                                         "-paced%dms" % self.pace_ms if self.pace_ms else "")

    @property
    def description(self):
        notes = ", JK notes in the access log" if self.log == "notes" else ""
        if self.pace_ms:
            notes += ", paced: %d ms between a connection's requests" % self.pace_ms
        if self.backend == "tomcat":
            return "%s (%s%s)" % (WORKLOADS[self.workload][1], BACKENDS[self.backend], notes)
        return BACKENDS[self.backend] + notes


def matrix():
    """The cells of `make bench`, in the order they run (grouped by configuration)."""
    # No 64-connection cell at 25 threads: two children of 25 threads hold 64 keep-alive
    # connections only by closing idle ones (event MPM, short of workers), whatever the module,
    # and wrk counts those closes as read errors.
    # Paced cells (Cell.pace_ms, outside issue 15's matrix) sit after the ★ cell of their
    # configuration.
    cells = [Cell("nullc", 25, True, "hello", 16, issue=True),
             Cell("nullc", 25, True, "hello", 32, pace_ms=4),
             Cell("nullc", 25, True, "hello", 16, log="notes"),
             Cell("nullc", 25, False, "hello", 16),
             Cell("nullc", 64, True, "hello", 16), Cell("nullc", 64, True, "hello", 64),
             Cell("nullc", 64, False, "hello", 16),
             Cell("nullswift", 25, True, "hello", 16), Cell("nullswift", 64, True, "hello", 64)]
    for threads, connections in ((25, 16), (64, 64)):
        for workload in ("hello", "sticky", "64k", "post1m"):
            cells.append(Cell("tomcat", threads, True, workload, connections,
                              issue=(threads == 25 and workload == "hello")))
            if threads == 25 and workload == "hello":
                cells.append(Cell("tomcat", 25, True, "hello", 32, pace_ms=8))
    return cells


def say(text=""):
    print(text, flush=True)


def cpu_ticks(pids):
    total = 0
    for pid in pids:
        try:
            fields = pathlib.Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total


def machine_busy():
    """(busy, total) jiffies from /proc/stat."""
    fields = [int(x) for x in pathlib.Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def memory(pid):
    """(RSS, PSS) in KiB from smaps_rollup."""
    rss = pss = 0
    try:
        for line in pathlib.Path("/proc/%d/smaps_rollup" % pid).read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


class NullBackend:
    """A null AJP container: the Swift one (ajp-null-backend) or the C one (bench/ajp-null-c.c)."""

    def __init__(self, name, command):
        self.name = name
        self.ajp_port = ports.free_port()
        self.command = command
        self.proc = None

    def start(self):
        argv = [str(part).replace("{port}", str(self.ajp_port)) for part in self.command]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.wait_until(lambda: ports.is_listening(self.ajp_port), 10, what="null backend %s" % self.name)

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def stop(self):
        if self.proc:
            procs.terminate(self.proc.pid, grace=2)
            self.proc.wait(timeout=5)
            self.proc = None

    def __repr__(self):
        return "NullBackend(%s)" % self.name


def compile_null_c():
    """cc -O2 bench/ajp-null-c.c into the run directory; returns the binary's path."""
    binary = rundir.run_dir() / "ajp-null-c"
    command = ["cc", "-O2", "-pthread", "-o", str(binary), str(NULL_C_SOURCE)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        sys.exit("bench: %s failed:\n%s" % (" ".join(command), result.stderr))
    return binary


def workers_properties(members, secret):
    """Issue 15's workers.properties: lb worker1 (sticky) over `members`, plus a status worker."""
    lines = ["worker.list=worker1,jkstatus",
             "worker.worker1.type=lb",
             "worker.worker1.balance_workers=%s" % ",".join(m.name for m in members),
             "worker.worker1.sticky_session=1",
             "worker.jkstatus.type=status"]
    for member in members:
        w = "worker.%s." % member.name
        lines += [w + "type=ajp13", w + "host=127.0.0.1", w + "port=%d" % member.ajp_port, w + "lbfactor=1"]
        if secret:
            lines.append(w + "secret=%s" % SECRET)
    return "\n".join(lines) + "\n"


def make_httpd(label, so, config, members, access_log=None, log_stamp=None, extra_properties=""):
    """config: (backend, threads, secret[, log]); log "combined" (the default: Debian's format,
    which names no JK_* note) or "notes" (the harness's format, which names three)."""
    backend, threads, secret = config[:3]
    log = config[3] if len(config) > 3 else "combined"
    if access_log is None:
        access_log = "combined" if log == "combined" else True
    name = "%s-%s-t%d-%s%s" % (label.lower(), backend, threads, "secret" if secret else "nosecret",
                               "-notes" if log == "notes" else "")
    httpd = Httpd(so, mpm="event", workers_properties=workers_properties(members, secret) + extra_properties,
                  name=name, access_log=access_log, jk_directives="JkMount /*.jsp worker1\nJkMount /jkstatus jkstatus",
                  mpm_settings=MPM[threads])
    return httpd


STATUS = re.compile(rb'" (\d{3}) ')


def non_2xx_in_access_log(httpd):
    """Counts the answers in the access log whose status is not 2xx, then empties the log (httpd
    appends with O_APPEND, so truncating it is safe and keeps the disk from filling)."""
    path = httpd.root / "logs" / "access.log"
    if not httpd.access_log_enabled or not path.exists():
        return None
    count = 0
    with open(path, "rb") as f:
        for line in f:
            match = STATUS.search(line)
            if match is None or not match.group(1).startswith(b"2"):
                count += 1
    os.truncate(path, 0)
    return count


def wrk(url, connections, duration, script_prefix, cookie=None):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(script_prefix + LUA)
        path = script.name
    os.chmod(path, 0o644)
    command = ["wrk", "-t2", "-c%d" % connections, "-d%ds" % duration, "--timeout", "10s", "-s", path]
    if cookie:
        command += ["-H", "Cookie: " + cookie]
    command.append(url)
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 30).stdout
    finally:
        os.unlink(path)
    for line in out.splitlines():
        if line.startswith("RESULT"):
            requests, errors, status_errors, p50, p99, p999, micros, connect, read, write, timeout = line.split()[1:]
            return {"requests": int(requests), "socket_errors": int(errors), "wrk_status_errors": int(status_errors),
                    "socket_error_kinds": {"connect": int(connect), "read": int(read), "write": int(write),
                                           "timeout": int(timeout)},
                    "p50_ms": float(p50) / 1000, "p99_ms": float(p99) / 1000, "p999_ms": float(p999) / 1000,
                    "seconds": int(micros) / 1e6}
    raise RuntimeError("wrk gave no result:\n" + out)


def measure(httpd, workload, connections, duration, cookie=None, pace_ms=0):
    path, _, prefix = WORKLOADS[workload]
    if pace_ms:
        prefix += "delay = function() return %d end\n" % pace_ms
    non_2xx_in_access_log(httpd)  # empties the log: count only this measurement
    pids = [httpd.pid] + httpd.children()
    ticks_before = cpu_ticks(pids)
    busy_before, total_before = machine_busy()
    result = wrk(httpd.url(path), connections, duration, prefix, cookie if workload == "sticky" else None)
    busy_after, total_after = machine_busy()
    ticks = cpu_ticks(pids) - ticks_before
    logged = non_2xx_in_access_log(httpd)
    # Non-2xx answers: the access log counts every status; without one, wrk's count (>= 400).
    result["non_2xx"] = logged if logged is not None else result["wrk_status_errors"]
    result["non_2xx_source"] = "access log" if logged is not None else "wrk (>= 400)"
    result["errors"] = result["socket_errors"] + result["non_2xx"]
    result["rps"] = result["requests"] / result["seconds"] if result["seconds"] else 0
    result["httpd_cpu_us_per_req"] = (ticks / CLK * 1e6 / result["requests"]) if result["requests"] else 0
    result["httpd_cpu_s_per_10k"] = result["httpd_cpu_us_per_req"] * 10000 / 1e6
    result["machine_busy"] = (busy_after - busy_before) / max(1, total_after - total_before)
    # A closed loop keeps the machine busy; below 85 % something else held it. A paced load
    # leaves it idle on purpose, so there the test says nothing.
    result["disturbed"] = not pace_ms and result["machine_busy"] < 0.85
    result["load1"] = os.getloadavg()[0]
    return result


def round_orders(rounds):
    """A B, B A, A B, ...: rounds=2 gives A B B A."""
    return [list(LABELS) if r % 2 == 0 else list(reversed(LABELS)) for r in range(rounds)]


def memory_of(httpd):
    children = httpd.children()
    values = [memory(pid) for pid in children]
    parent = memory(httpd.pid)
    return {
        "children": len(children),
        "rss_kib_per_child": statistics.mean(v[0] for v in values) if values else 0,
        "pss_kib_per_child": statistics.mean(v[1] for v in values) if values else 0,
        "parent_rss_kib": parent[0],
        "parent_pss_kib": parent[1],
        "total_rss_kib": parent[0] + sum(v[0] for v in values),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", default=str(ROOT / "mod_swiftjk.so"))
    parser.add_argument("--reference", default=REFERENCE)
    parser.add_argument("--null-backend", default=str(NULL_BACKEND), help="the Swift ajp-null-backend binary")
    parser.add_argument("--duration", type=int, default=4, help="seconds per measurement")
    # Eight short rounds rather than four longer ones: the machine's speed drifts between rounds,
    # so more pairs narrow the median ratio more than longer measurements do (with four, a cell
    # on unchanged code moved from 1.03x to 0.92x between two runs; with eight, the middle half
    # of the per-round ratios is printed beside it).
    parser.add_argument("--rounds", type=int, default=8, help="rounds per cell (4: A B, B A, A B, B A)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per server and load")
    parser.add_argument("--tomcat-warmup", type=int, default=20,
                        help="seconds per module and load of the Tomcats' JIT warm-up, once, before the first Tomcat cell")
    parser.add_argument("--cells", default="", help="comma-separated substrings of cell ids to run (see --list); "
                                                    "a partial run does not rewrite BENCHMARKS.md")
    parser.add_argument("--list", action="store_true", help="list the cells and exit")
    parser.add_argument("--same-children", action="store_true",
                        help="measure every round of a cell on the same httpd start (default: restart both before each round)")
    parser.add_argument("--no-debug-log", action="store_true", help="skip the JkLogLevel debug comparison")
    parser.add_argument("--no-write", action="store_true", help="do not rewrite BENCHMARKS.md")
    args = parser.parse_args()
    cells = matrix()
    if args.list:
        for cell in cells:
            say(cell.id + ("  (issue 15)" if cell.issue else ""))
        return
    if args.cells:
        wanted = [w for w in args.cells.split(",") if w]
        cells = [c for c in cells if any(w in c.id for w in wanted)]
        if not cells:
            sys.exit("bench: no cell matches %r (see --list)" % args.cells)
    partial = len(cells) != len(matrix())
    for tool in ("wrk", "cc"):
        if subprocess.run(["which", tool], capture_output=True).returncode != 0:
            sys.exit("bench: %s is missing (make deps)" % tool)
    for path in (args.module, args.reference):
        if not os.path.isfile(path):
            sys.exit("bench: %s is missing" % path)
    backends_needed = {c.backend for c in cells}
    if "nullswift" in backends_needed and not os.path.isfile(args.null_backend):
        sys.exit("bench: %s is missing (swift build -c release --product ajp-null-backend)" % args.null_backend)
    os.umask(0o022)
    procs.become_subreaper()
    started = time.monotonic()
    fixtures = []
    results = {}
    memory_rows = {}
    debug = None
    try:
        members = {}
        if "tomcat" in backends_needed:
            say("bench: starting two Tomcats ...")
            tomcats = [Tomcat("b%d" % i, "b%d" % i, secret=SECRET, fast_jvm=False) for i in (1, 2)]
            for tomcat in tomcats:
                fixtures.append(tomcat)
                tomcat.start()
            for tomcat in tomcats:
                tomcat.wait_ready(90)
                tomcat.precompile()
            members["tomcat"] = tomcats
        if "nullc" in backends_needed:
            binary = compile_null_c()
            members["nullc"] = [NullBackend("n%d" % i, [binary, "{port}", "13"]) for i in (1, 2)]
        if "nullswift" in backends_needed:
            members["nullswift"] = [NullBackend("s%d" % i, [args.null_backend, "--port", "{port}", "--size", "13"])
                                    for i in (1, 2)]
        for key in ("nullc", "nullswift"):
            for backend in members.get(key, []):
                fixtures.append(backend)
                backend.start()
        modules = {"mod_jk": args.reference, "SwiftJK": args.module}
        tomcats_warm = False
        configs = []
        for cell in cells:
            if cell.config not in configs:
                configs.append(cell.config)
        for config in configs:
            backend, threads, secret = config[:3]
            servers = {}
            for label in LABELS:
                httpd = make_httpd(label, modules[label], config, members[backend])
                rc, out = httpd.configtest()
                if rc != 0:
                    sys.exit("bench: apache2 -t failed for %s:\n%s" % (label, out))
                httpd.start()
                fixtures.append(httpd)
                servers[label] = httpd
            say("bench: %s, ThreadsPerChild %d, secret %s" % (BACKENDS[backend], threads, "on" if secret else "off"))
            config_cells = [c for c in cells if c.config == config]
            cookie = None
            if any(c.workload == "sticky" for c in config_cells):
                set_cookie = http.get(servers["SwiftJK"].url("/counter.jsp")).header("Set-Cookie") or ""
                cookie = set_cookie.split(";", 1)[0] if set_cookie else None
            workloads = list(dict.fromkeys(c.workload for c in config_cells))
            if backend == "tomcat" and not tomcats_warm:
                jit_warm_up(servers, workloads, cookie, args.tomcat_warmup)
                tomcats_warm = True
            for label in LABELS:  # warm-up
                for workload in workloads:
                    measure(servers[label], workload, 16, args.warmup, cookie)
            for cell in config_cells:
                for number, order in enumerate(round_orders(args.rounds)):
                    if number > 0 and not args.same_children:
                        fresh_children(servers, order, cell, cookie, args.warmup)
                    for label in order:
                        result = measure(servers[label], cell.workload, cell.connections, args.duration, cookie,
                                         cell.pace_ms)
                        results.setdefault(cell.id, {}).setdefault(label, []).append(result)
                        say("  %-38s %-7s %8.0f req/s  p99 %6.2f ms  httpd %5.1f us/req  errors %d/%d  load %.1f%s" % (
                            cell.id, label, result["rps"], result["p99_ms"], result["httpd_cpu_us_per_req"],
                            result["socket_errors"], result["non_2xx"], result["load1"],
                            "  DISTURBED" if result["disturbed"] else "") + (
                            "  (socket errors: %s)" % ", ".join("%s %d" % kv for kv in result["socket_error_kinds"].items() if kv[1])
                            if result["socket_errors"] else ""))
                if cell.issue and cell.backend == "nullc":  # issue 15 compares parent + 2 children here
                    memory_rows = {label: memory_of(servers[label]) for label in LABELS}
            if config == ("tomcat", 25, True) and not args.no_debug_log:
                debug = debug_comparison(servers, args.duration)
            for label in LABELS:
                servers[label].stop()
                fixtures.remove(servers[label])
        micro = microbenchmarks()
        report = summarize(cells, results, memory_rows, debug, micro, args, time.monotonic() - started)
        say()
        say(report["markdown"])
        out_dir = ROOT / "bench" / "results"
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "latest.json").write_text(json.dumps(report["json"], indent=2) + "\n")
        (out_dir / "latest.md").write_text(report["markdown"] + "\n")
        if args.no_write or partial:
            say("bench: wrote bench/results/latest.{json,md}%s" % (" (partial run: BENCHMARKS.md kept)" if partial else ""))
        else:
            (ROOT / "BENCHMARKS.md").write_text(benchmarks_md(report["markdown"]) + kept_sections())
            say("bench: wrote BENCHMARKS.md and bench/results/latest.{json,md}")
    finally:
        for fixture in reversed(fixtures):
            try:
                fixture.stop()
            except Exception as error:
                say("bench: stopping %s: %s" % (fixture, error))


def jit_warm_up(servers, workloads, cookie, seconds):
    """The Tomcats' JIT and heap settle over their first minute of load: in a first run their CPU
    per tiny JSP fell from 346 to 120 µs over 35 s, and the rounds measured meanwhile were decided
    by when they ran, not by the module. So before the first Tomcat cell, each load runs `seconds`
    through each httpd in turn (both modules reach the same Tomcats, so the warm-up is shared)."""
    for workload in workloads:
        for label in LABELS:
            say("  JIT warm-up: %-8s via %-7s %d s" % (workload, label, seconds))
            measure(servers[label], workload, 16, seconds, cookie)


def fresh_children(servers, order, cell, cookie, warmup):
    """Restarts both httpds (new children, module reloaded) and warms them up again. One httpd
    start decides things that last for its life and favour one module or the other by chance:
    how wrk's connections spread over the children, where memory lands. Measured over one start,
    a cell could show one module ahead in every round and the other ahead in the next run (±10 %);
    a new start per round averages that out."""
    for label in order:
        servers[label].restart()
    for label in order:
        measure(servers[label], cell.workload, cell.connections, max(1, warmup // 2), cookie, cell.pace_ms)


def debug_comparison(servers, duration):
    """Throughput at JkLogLevel debug relative to info, for each module (tiny JSP, 16 conns)."""
    out = {}
    for label, httpd in servers.items():
        info = measure(httpd, "hello", 16, duration)["rps"]
        httpd.log_level = "debug"
        httpd.write_config()
        httpd.restart()
        time.sleep(1)
        measure(httpd, "hello", 16, 1)
        before = httpd.log_size("jk.log")
        debug_run = measure(httpd, "hello", 16, duration)
        size = httpd.log_size("jk.log") - before
        httpd.log_level = "info"
        httpd.write_config()
        httpd.restart()
        out[label] = {"info_rps": info, "debug_rps": debug_run["rps"], "ratio": debug_run["rps"] / info if info else 0,
                      "jk_log_bytes_per_request": size / max(1, debug_run["requests"])}
        say("  debug log %-7s info %8.0f req/s, debug %8.0f req/s (%.0f%%)" % (
            label, info, debug_run["rps"], 100 * out[label]["ratio"]))
    return out


def microbenchmarks():
    if not MICROBENCH.exists():
        return None
    out = subprocess.run([str(MICROBENCH), "--json"], capture_output=True, text=True, timeout=300).stdout
    try:
        return json.loads(out)
    except ValueError:
        return None


KEYS = ("rps", "p50_ms", "p99_ms", "p999_ms", "httpd_cpu_s_per_10k")


def middle_half(ratios):
    """The 25th and 75th percentiles of the per-round ratios (None with fewer than 4 rounds)."""
    if len(ratios) < 4:
        return None
    quartiles = statistics.quantiles(ratios, n=4, method="inclusive")
    return (quartiles[0], quartiles[2])


def issue_15_misses(row):
    """Which parts of issue 15's bar a cell misses: ≥ 1.05× req/s, ≤ 0.95× httpd CPU per
    request, p99 no worse than mod_jk's, no errors. A paced cell offers both modules the same
    load, so its req/s ratio is 1 by design and only the rest applies."""
    misses = []
    if not row["pace_ms"] and round(row["rps_ratio"], 2) < 1.05:
        misses.append("req/s")
    if round(row["cpu_ratio"], 2) > 0.95:
        misses.append("CPU")
    if round(row["SwiftJK"]["p99_ms"], 2) > round(row["mod_jk"]["p99_ms"], 2):
        misses.append("p99")
    if any(row["errors"][label][kind] for label in LABELS for kind in ("socket", "non_2xx")):
        misses.append("errors")
    return misses


def summarize(cells, results, memory_rows, debug, micro, args, elapsed):
    rows = []
    lines = ["| Backend · load | Threads | Secret | Conns | mod_jk req/s | SwiftJK req/s | Ratio | Middle half | Rounds ahead | "
             "p99 ms mod_jk | p99 ms SwiftJK | p99 rounds not worse | httpd CPU s/10k mod_jk | SwiftJK | CPU ratio | Errors mod_jk | Errors SwiftJK | "
             "Issue 15's bar |",
             "|---|---:|:---:|---:|---:|---:|---:|:---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]

    def med(items, key):
        return statistics.median(i[key] for i in items) if items else 0

    def errors(items):
        # The kinds of wrk's socket errors (read: the server closed a connection wrk was using),
        # so a count can be traced to its cause.
        kinds = collections.Counter()
        for item in items:
            kinds.update({k: v for k, v in item.get("socket_error_kinds", {}).items() if v})
        socket = sum(i["socket_errors"] for i in items)
        detail = " (%s)" % ", ".join("%s %d" % kv for kv in sorted(kinds.items())) if kinds else ""
        return "%d%s / %d" % (socket, detail, sum(i["non_2xx"] for i in items))

    for cell in cells:
        by_label = results.get(cell.id, {})
        jk, sj = by_label.get("mod_jk", []), by_label.get("SwiftJK", [])
        row = {
            "id": cell.id, "backend": cell.backend, "workload": cell.workload, "threads": cell.threads,
            "secret": cell.secret, "connections": cell.connections, "issue_15": cell.issue, "pace_ms": cell.pace_ms,
            "description": cell.description,
            "mod_jk": {k: med(jk, k) for k in KEYS}, "SwiftJK": {k: med(sj, k) for k in KEYS},
            "rounds": {"mod_jk": jk, "SwiftJK": sj},
            "disturbed_rounds": sum(1 for i in jk + sj if i["disturbed"]),
            "errors": {"mod_jk": {"socket": sum(i["socket_errors"] for i in jk), "non_2xx": sum(i["non_2xx"] for i in jk)},
                       "SwiftJK": {"socket": sum(i["socket_errors"] for i in sj), "non_2xx": sum(i["non_2xx"] for i in sj)}},
        }
        # Ratios per round (the two modules measured back to back), then their median: the
        # machine's speed drifts between rounds more than the modules differ.
        pairs = [(a, b) for a, b in zip(jk, sj) if a["rps"] and a["httpd_cpu_s_per_10k"]]
        rps_ratios = [b["rps"] / a["rps"] for a, b in pairs]
        cpu_ratios = [b["httpd_cpu_s_per_10k"] / a["httpd_cpu_s_per_10k"] for a, b in pairs]
        row["rps_ratio"] = statistics.median(rps_ratios) if rps_ratios else 0
        row["cpu_ratio"] = statistics.median(cpu_ratios) if cpu_ratios else 0
        row["rounds_ahead"] = sum(1 for r in rps_ratios if r > 1)
        # p99 per round, SwiftJK against mod_jk back to back: a median that misses with half the
        # rounds on either side is the machine's noise, one that misses in most rounds is not.
        p99_pairs = [(a["p99_ms"], b["p99_ms"]) for a, b in zip(jk, sj) if a["p99_ms"]]
        row["p99_ratio"] = statistics.median(b / a for a, b in p99_pairs) if p99_pairs else 0
        row["p99_rounds_not_worse"] = sum(1 for a, b in p99_pairs if b <= a)
        row["rps_ratio_middle_half"] = middle_half(rps_ratios)
        row["misses"] = issue_15_misses(row)
        rows.append(row)
        flag = (" ★" if cell.issue else "") + (" ⚠" if row["disturbed_rounds"] else "")
        spread = "%.2f–%.2f" % row["rps_ratio_middle_half"] if row["rps_ratio_middle_half"] else "—"
        lines.append("| %s%s | %d | %s | %d | %.0f | %.0f | **%.2f×** | %s | %d of %d | %.2f | %.2f | %d of %d | %.3f | %.3f | %.2f× | %s | %s | %s |" % (
            cell.description, flag, cell.threads, "on" if cell.secret else "off", cell.connections,
            row["mod_jk"]["rps"], row["SwiftJK"]["rps"], row["rps_ratio"], spread, row["rounds_ahead"], len(pairs),
            row["mod_jk"]["p99_ms"],
            row["SwiftJK"]["p99_ms"], row["p99_rounds_not_worse"], len(p99_pairs), row["mod_jk"]["httpd_cpu_s_per_10k"], row["SwiftJK"]["httpd_cpu_s_per_10k"],
            row["cpu_ratio"], errors(jk), errors(sj), ("equal load: " if cell.pace_ms else "") + ("met" if not row["misses"] else "missed: " + ", ".join(row["misses"]))))
    lines.append("")
    lines.append("%d rounds of %d s per module, interleaved A B, B A, … (mod_jk, SwiftJK)" % (args.rounds, args.duration) + (
                 "; both httpds restarted (new children) and warmed up again before each round after the first"
                 "; before the first Tomcat cell, each Tomcat load ran %d s through each httpd to settle the JIT" % args.tomcat_warmup
                 if not args.same_children else "; every round on the same httpd start") + "; req/s, p99 and CPU are medians "
                 "over the rounds, Ratio and CPU ratio the medians of the per-round ratios (each round measures both "
                 "modules back to back); Middle half = the 25th to 75th percentile of the per-round ratios (how far "
                 "the machine moved them); Rounds ahead = rounds in which SwiftJK served more requests; p99 rounds not worse = rounds in which SwiftJK's p99 was at most mod_jk's (about half of them when the p99 medians differ only by the machine's noise); wrk -t2, keep-alive. "
                 "Issue 15's bar: Ratio ≥ 1.05×, CPU ratio ≤ 0.95×, p99 no worse than mod_jk's, 0 errors. "
                 "Paced cells (outside issue 15's matrix) offer both modules the same load, about half of "
                 "mod_jk's capacity, so their Ratio is 1 by design: they compare latency and CPU when the machine "
                 "is not saturated, where the closed-loop cells compare capacity. "
                 "Errors = wrk's socket errors (by kind: read = a connection closed under wrk) / non-2xx answers in the access log, summed over the rounds. "
                 "★ = issue 15's configuration (event MPM StartServers 2 × ThreadsPerChild 25, MaxRequestWorkers 150, "
                 "MaxKeepAliveRequests 10000, access log in Debian's combined format, JkLogLevel info, JkLogStampFormat, status worker in "
                 "worker.list, lb worker1 sticky over two members, secret, default timeouts). JK notes in the access log = the harness's format, which logs JK_WORKER_NAME, JK_WORKER_ROUTE and JK_LB_LAST_NAME, so SwiftJK sets every note as mod_jk does (docs/architecture.md §5.1). "
                 "⚠ = a round ran with the machine below 85%% busy (disturbed). Whole run: %.1f min." % (elapsed / 60))
    if memory_rows:
        lines.append("")
        lines.append("| Memory after the ★ C null cell | Children | RSS per child (KiB) | PSS per child (KiB) | "
                     "Parent RSS (KiB) | Parent + children RSS (KiB) |")
        lines.append("|---|---:|---:|---:|---:|---:|")
        for label, row in memory_rows.items():
            lines.append("| %s | %d | %.0f | %.0f | %d | %d |" % (
                label, row["children"], row["rss_kib_per_child"], row["pss_kib_per_child"], row["parent_rss_kib"],
                row["total_rss_kib"]))
        if "mod_jk" in memory_rows and "SwiftJK" in memory_rows:
            delta = memory_rows["SwiftJK"]["pss_kib_per_child"] - memory_rows["mod_jk"]["pss_kib_per_child"]
            lines.append("")
            lines.append("PSS per child, SwiftJK − mod_jk: %+.0f KiB." % delta)
    if debug:
        lines.append("")
        lines.append("| JkLogLevel debug vs info (tiny JSP, 16 conns) | info req/s | debug req/s | debug/info | jk.log bytes per request |")
        lines.append("|---|---:|---:|---:|---:|")
        for label, row in debug.items():
            lines.append("| %s | %.0f | %.0f | **%.0f%%** | %.0f |" % (label, row["info_rps"], row["debug_rps"],
                                                                    100 * row["ratio"], row["jk_log_bytes_per_request"]))
    if micro:
        lines.append("")
        lines.append("| Micro-benchmark (pure targets) | ns/op | heap allocations/op |")
        lines.append("|---|---:|---:|")
        for item in micro:
            lines.append("| %s | %.1f | %.2f |" % (item["name"], item["ns_per_op"], item["allocations_per_op"]))
    markdown = "\n".join(lines)
    return {"markdown": markdown, "json": {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "duration_s": args.duration,
                                           "rounds": args.rounds, "elapsed_s": round(elapsed, 1), "rows": rows,
                                           "memory": memory_rows, "debug_log": debug, "micro": micro}}


SECTION_MARK = "<!-- section written by "


def kept_sections():
    """Sections other scripts own (bench/failover.py), kept when the main table is rewritten."""
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text() if path.exists() else ""
    at = text.find(SECTION_MARK)
    return "\n" + text[at:] if at >= 0 else ""


def benchmarks_md(table):
    return """# Benchmarks

SwiftJK against Debian's mod_jk 1.2.48 in the same run, on the same machine (2 cores, shared),
the same httpd 2.4 (event MPM) configuration and the same backends. Only the ratios mean
anything: the machine is small and other work disturbs absolute numbers.

Reproduce with `make bench` (about 25 minutes; results also in `bench/results/latest.json`;
`python3 bench/bench.py --list` names the cells, `--cells nullc` runs a subset).

- *Configuration*: issue 15's (★): event MPM StartServers 2 × ThreadsPerChild 25,
  MaxRequestWorkers 150, KeepAlive On, MaxKeepAliveRequests 10000, an access log, JkShmFile,
  JkLogLevel info, JkLogStampFormat, `JkMount /*.jsp worker1`, `JkMount /jkstatus jkstatus`, a
  status worker in worker.list, lb `worker1` (sticky_session=1) over two ajp13 members with an AJP
  secret and default timeouts. Cells vary ThreadsPerChild (25, 64), the secret and the connections.
- *two Tomcats*: Tomcat 10.1 nodes (client, httpd and both JVMs share the two cores, so the whole
  stack is CPU-bound: saving httpd CPU leaves more for Tomcat).
- *C null AJP*: `bench/ajp-null-c.c`, two minimal AJP containers in C answering every request at
  once with a 5-header 200 and a 13-byte body — what remains is httpd and the module.
  *Swift null AJP*: the same idea in Swift (`ajp-null-backend`, 2 headers).
- *httpd CPU*: user + system time of the httpd parent and children from `/proc`, per 10,000
  requests. *Errors*: wrk's socket errors / non-2xx answers (from the access log).
- *Paced* cells: each wrk connection waits a fixed time between a response and its next request
  (wrk's `delay()`), so both modules serve the same req/s, about half of mod_jk's capacity: latency
  and CPU at equal load, with the machine not saturated. The other cells are closed loops that
  saturate it and compare capacity. There, SwiftJK's early flush (docs/architecture.md §5.1)
  often lets httpd serve a keep-alive connection's next request on the same thread: more req/s,
  less CPU and a lower p50. Threads that no longer sleep between requests would run until
  preempted and leave the others a time slice behind (p99 above mod_jk's); each yields the CPU
  once its client has the whole response (same section), which brought the null backends' p99
  close to or below mod_jk's.

""" + table + "\n"


if __name__ == "__main__":
    main()
