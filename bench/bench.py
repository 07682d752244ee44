#!/usr/bin/env python3
"""make bench: SwiftJK against Debian's mod_jk, in one run, on the same machine and backends.

Starts two Tomcats and two null AJP backends (ajp-null-backend: answers every request at once, so
the module's own cost is not hidden behind Tomcat's), and two httpds (event MPM) with identical
configuration — one loading /usr/lib/apache2/modules/mod_jk.so, one mod_swiftjk.so. Drives each
with wrk (keep-alive, 16 and 64 connections) in alternating rounds (A B, then B A, ...) after a
warm-up, and records req/s, latency percentiles, httpd CPU per request (from /proc), PSS per
child, and the ratio SwiftJK / mod_jk. Flags rounds where the machine was not saturated (some
other load disturbed it). Writes bench/results/latest.{json,md} and BENCHMARKS.md.

Only ratios from the same run mean anything: the machine is small and shared.
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "IntegrationTests"))
os.environ.setdefault("HARNESS_RUN_DIR", str(ROOT / "bench" / "run" / time.strftime("%Y%m%d-%H%M%S")))

from harness import Httpd, Tomcat, ajp13_worker_lines, http, ports, procs  # noqa: E402

REFERENCE = "/usr/lib/apache2/modules/mod_jk.so"
NULL_BACKEND = ROOT / ".build" / "release" / "ajp-null-backend"
MICROBENCH = ROOT / ".build" / "release" / "swiftjk-microbench"
CLK = os.sysconf("SC_CLK_TCK")

LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %.1f %.1f %.1f %d\\n", summary.requests,
    e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50),
    latency:percentile(99), latency:percentile(99.9), summary.duration))
end
"""

WORKLOADS = {
    # name: (path, description, extra wrk lua prefix)
    "tiny": ("/hello.jsp", "tiny JSP, no session (two Tomcats)", ""),
    "sticky": ("/counter.jsp", "sticky-session JSP (two Tomcats)", ""),
    "64k": ("/big.jsp?size=65536", "64 KiB response (two Tomcats)", ""),
    "post1m": ("/post.jsp", "1 MiB POST (two Tomcats)",
               'wrk.method = "POST"\nwrk.body = string.rep("x", 1048576)\n'
               'wrk.headers["Content-Type"] = "application/octet-stream"\n'),
    "null": ("/null/x", "null AJP backend (module cost only)", ""),
}


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
    def __init__(self, name):
        self.name = name
        self.ajp_port = ports.free_port()
        self.secret = "bench-secret"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([str(NULL_BACKEND), "--port", str(self.ajp_port), "--size", "13"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.wait_until(lambda: ports.is_listening(self.ajp_port), 10, what="null backend")

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def stop(self):
        if self.proc:
            procs.terminate(self.proc.pid, grace=2)
            self.proc.wait(timeout=5)
            self.proc = None


def workers(tomcats, nulls):
    lines = ["worker.list=tomcats,nulls",
             "worker.tomcats.type=lb", "worker.tomcats.balance_workers=%s" % ",".join(t.name for t in tomcats),
             "worker.nulls.type=lb", "worker.nulls.balance_workers=%s" % ",".join(n.name for n in nulls)]
    for node in tomcats + nulls:
        lines += ajp13_worker_lines(node)
    return "\n".join(lines) + "\n"


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
            requests, errors, status_errors, p50, p99, p999, micros = line.split()[1:]
            return {"requests": int(requests), "errors": int(errors) + int(status_errors),
                    "p50_ms": float(p50) / 1000, "p99_ms": float(p99) / 1000, "p999_ms": float(p999) / 1000,
                    "seconds": int(micros) / 1e6}
    raise RuntimeError("wrk gave no result:\n" + out)


def measure(httpd, workload, connections, duration, cookie):
    path, _, prefix = WORKLOADS[workload]
    pids = [httpd.pid] + httpd.children()
    ticks_before = cpu_ticks(pids)
    busy_before, total_before = machine_busy()
    result = wrk(httpd.url(path), connections, duration, prefix, cookie if workload == "sticky" else None)
    busy_after, total_after = machine_busy()
    ticks = cpu_ticks(pids) - ticks_before
    result["rps"] = result["requests"] / result["seconds"] if result["seconds"] else 0
    result["httpd_cpu_us_per_req"] = (ticks / CLK * 1e6 / result["requests"]) if result["requests"] else 0
    result["httpd_cpu_s_per_10k"] = result["httpd_cpu_us_per_req"] * 10000 / 1e6
    result["machine_busy"] = (busy_after - busy_before) / max(1, total_after - total_before)
    result["disturbed"] = result["machine_busy"] < 0.85
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--module", default=str(ROOT / "mod_swiftjk.so"))
    parser.add_argument("--reference", default=REFERENCE)
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", default="16,64")
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--no-debug-log", action="store_true", help="skip the JkLogLevel debug comparison")
    parser.add_argument("--no-write", action="store_true", help="do not rewrite BENCHMARKS.md")
    args = parser.parse_args()
    connections = [int(c) for c in args.connections.split(",")]
    workloads = args.workloads.split(",")
    for tool in ("wrk",):
        if subprocess.run(["which", tool], capture_output=True).returncode != 0:
            sys.exit("bench: %s is missing (make deps)" % tool)
    procs.become_subreaper()
    fixtures = []
    try:
        say("bench: starting two Tomcats and two null AJP backends ...")
        tomcats = [Tomcat("b%d" % i, "b%d" % i, secret="bench-secret", fast_jvm=False) for i in (1, 2)]
        for tomcat in tomcats:
            fixtures.append(tomcat)
            tomcat.start()
            tomcat.wait_ready(90)
            tomcat.precompile()
        nulls = [NullBackend("n%d" % i) for i in (1, 2)]
        for backend in nulls:
            fixtures.append(backend)
            backend.start()
        properties = workers(tomcats, nulls)
        modules = {"mod_jk": args.reference, "SwiftJK": args.module}
        servers = {}
        for label, so in modules.items():
            httpd = Httpd(so, mpm="event", workers_properties=properties, name=label.lower(), access_log=False,
                          jk_directives="JkMount /*.jsp tomcats\nJkMount /null/* nulls",
                          mpm_settings={"StartServers": 2, "ServerLimit": 4, "ThreadsPerChild": 32,
                                        "ThreadLimit": 64, "MinSpareThreads": 32, "MaxSpareThreads": 128,
                                        "MaxRequestWorkers": 128, "MaxConnectionsPerChild": 0})
            rc, out = httpd.configtest()
            if rc != 0:
                sys.exit("bench: apache2 -t failed for %s:\n%s" % (label, out))
            httpd.start()
            fixtures.append(httpd)
            servers[label] = httpd
        cookie = None
        first = http.get(servers["SwiftJK"].url("/counter.jsp"))
        set_cookie = first.header("Set-Cookie") or ""
        cookie = set_cookie.split(";", 1)[0] if set_cookie else None
        say("bench: warm-up ...")
        for label, httpd in servers.items():
            for workload in workloads:
                measure(httpd, workload, 16, 2, cookie)
        results = {}
        for round_number in range(args.rounds):
            order = list(servers) if round_number % 2 == 0 else list(reversed(servers))
            for label in order:
                for workload in workloads:
                    for c in connections:
                        result = measure(servers[label], workload, c, args.duration, cookie)
                        results.setdefault((workload, c), {}).setdefault(label, []).append(result)
                        say("  round %d %-7s %-6s c=%-3d %8.0f req/s  p99 %6.2f ms  httpd %5.1f us/req%s%s" % (
                            round_number + 1, label, workload, c, result["rps"], result["p99_ms"],
                            result["httpd_cpu_us_per_req"], "  DISTURBED" if result["disturbed"] else "",
                            "  ERRORS %d" % result["errors"] if result["errors"] else ""))
        memory_rows = {}
        for label, httpd in servers.items():
            children = httpd.children()
            values = [memory(pid) for pid in children]
            memory_rows[label] = {
                "children": len(children),
                "rss_kib_per_child": statistics.mean(v[0] for v in values) if values else 0,
                "pss_kib_per_child": statistics.mean(v[1] for v in values) if values else 0,
                "parent_rss_kib": memory(httpd.pid)[0],
            }
        debug = None if args.no_debug_log else debug_comparison(servers, args.duration)
        micro = microbenchmarks()
        report = summarize(results, memory_rows, debug, micro, args)
        say()
        say(report["markdown"])
        out_dir = ROOT / "bench" / "results"
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "latest.json").write_text(json.dumps(report["json"], indent=2) + "\n")
        (out_dir / "latest.md").write_text(report["markdown"] + "\n")
        if not args.no_write:
            (ROOT / "BENCHMARKS.md").write_text(benchmarks_md(report["markdown"]) + kept_sections())
            say("bench: wrote BENCHMARKS.md and bench/results/latest.{json,md}")
    finally:
        for fixture in reversed(fixtures):
            try:
                fixture.stop()
            except Exception as error:
                say("bench: stopping %s: %s" % (fixture, error))


def debug_comparison(servers, duration):
    """Throughput at JkLogLevel debug relative to info, for each module (tiny JSP, 16 conns)."""
    out = {}
    for label, httpd in servers.items():
        info = measure(httpd, "tiny", 16, duration, None)["rps"]
        httpd.log_level = "debug"
        httpd.write_config()
        httpd.restart()
        time.sleep(1)
        measure(httpd, "tiny", 16, 1, None)
        debug_run = measure(httpd, "tiny", 16, duration, None)
        size = httpd.log_size("jk.log")
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


def summarize(results, memory_rows, debug, micro, args):
    rows = []
    lines = ["| Workload | Conns | mod_jk req/s | SwiftJK req/s | Ratio | mod_jk p50/p99/p99.9 ms | SwiftJK p50/p99/p99.9 ms | httpd CPU s/10k req mod_jk | SwiftJK | CPU ratio |",
             "|---|---:|---:|---:|---:|---|---|---:|---:|---:|"]
    for (workload, c), by_label in results.items():
        jk = by_label.get("mod_jk", [])
        sj = by_label.get("SwiftJK", [])

        def med(items, key):
            return statistics.median(i[key] for i in items) if items else 0

        row = {
            "workload": workload, "connections": c, "description": WORKLOADS[workload][1],
            "mod_jk": {k: med(jk, k) for k in ("rps", "p50_ms", "p99_ms", "p999_ms", "httpd_cpu_s_per_10k")},
            "SwiftJK": {k: med(sj, k) for k in ("rps", "p50_ms", "p99_ms", "p999_ms", "httpd_cpu_s_per_10k")},
            "disturbed_rounds": sum(1 for i in jk + sj if i["disturbed"]),
            "errors": sum(i["errors"] for i in jk + sj),
        }
        row["rps_ratio"] = row["SwiftJK"]["rps"] / row["mod_jk"]["rps"] if row["mod_jk"]["rps"] else 0
        row["cpu_ratio"] = (row["SwiftJK"]["httpd_cpu_s_per_10k"] / row["mod_jk"]["httpd_cpu_s_per_10k"]
                            if row["mod_jk"]["httpd_cpu_s_per_10k"] else 0)
        rows.append(row)
        flag = " ⚠" if row["disturbed_rounds"] else ""
        lines.append("| %s%s | %d | %.0f | %.0f | **%.2f×** | %.2f / %.2f / %.2f | %.2f / %.2f / %.2f | %.3f | %.3f | %.2f× |" % (
            row["description"], flag, c, row["mod_jk"]["rps"], row["SwiftJK"]["rps"], row["rps_ratio"],
            row["mod_jk"]["p50_ms"], row["mod_jk"]["p99_ms"], row["mod_jk"]["p999_ms"],
            row["SwiftJK"]["p50_ms"], row["SwiftJK"]["p99_ms"], row["SwiftJK"]["p999_ms"],
            row["mod_jk"]["httpd_cpu_s_per_10k"], row["SwiftJK"]["httpd_cpu_s_per_10k"], row["cpu_ratio"]))
    lines.append("")
    lines.append("Medians of %d alternating rounds of %d s each, wrk -t2, keep-alive, event MPM (2 × 32 threads), "
                 "JkLogLevel info, no access log. ⚠ = a round ran with the machine below 85%% busy (disturbed)." % (
                     args.rounds, args.duration))
    lines.append("")
    lines.append("| Memory after the runs | Children | RSS per child (KiB) | PSS per child (KiB) | Parent RSS (KiB) |")
    lines.append("|---|---:|---:|---:|---:|")
    for label, row in memory_rows.items():
        lines.append("| %s | %d | %.0f | %.0f | %d |" % (label, row["children"], row["rss_kib_per_child"],
                                                     row["pss_kib_per_child"], row["parent_rss_kib"]))
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
    return {"markdown": markdown, "json": {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "rows": rows,
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
the same httpd 2.4.71 (event MPM) configuration and the same backends. Only the ratios mean
anything: the machine is small and other work disturbs absolute numbers.

Reproduce with `make bench` (about 5 minutes; results also in `bench/results/latest.json`).

- *two Tomcats*: Tomcat 10.1 nodes behind an lb worker (client, httpd and both JVMs share the two
  cores, so the whole stack is CPU-bound: saving httpd CPU leaves more for Tomcat).
- *null AJP backend*: `ajp-null-backend`, a minimal AJP container written for this benchmark,
  answering every request at once — what remains is httpd and the module.
- *httpd CPU*: user + system time of the httpd parent and children from `/proc`, per 10,000
  requests.

""" + table + "\n"


if __name__ == "__main__":
    main()
