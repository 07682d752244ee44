#!/usr/bin/env python3
"""make profile: where httpd's CPU goes with each module, side by side (issue 15's configuration).

Starts two C null AJP containers and two httpds with the ★ configuration of `make bench` (one
loading Debian's mod_jk, one SwiftJK's unstripped build so perf can name its functions). For each
module, under the same wrk load (-t2 -c16, keep-alive, /hello.jsp):

- `perf record` on httpd's children: the share of samples per object (the module, libc, httpd,
  libapr, the kernel) and the module's hottest symbols;
- `strace -c -f` on the children: system calls per request, by name;
- `perf record -e syscalls:sys_enter_futex` with DWARF call chains: futex calls (lock and
  condition-variable waits and wakes) per request, by the first caller outside libc.

Prints one table per view, SwiftJK next to mod_jk, and writes bench/results/profile.md.
Only shares and per-request counts mean anything; absolute rates are lower under perf/strace.
"""

import argparse
import collections
import os
import pathlib
import re
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bench  # noqa: E402  (also sets up the harness import path and run directory)
from harness import procs  # noqa: E402

ROOT = bench.ROOT
UNSTRIPPED = ROOT / ".build" / "release" / "libmod_swiftjk.so"
# What wrk asks for: the tiny JSP, or (--workload sticky) the session counter with one session's
# cookie on every request, so every request is routed by its jvmRoute.
LOAD = {"path": "/hello.jsp", "cookie": None}


def perf_shares(httpd, connections, seconds, out_dir, label):
    """Runs wrk under perf record on the children; returns ({dso: share}, [(share, dso, symbol)])."""
    data = out_dir / ("perf-%s.data" % label)
    pids = ",".join(str(p) for p in httpd.children())
    perf = subprocess.Popen(["perf", "record", "-F", "2999", "-o", str(data), "-p", pids],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    result = bench.wrk(httpd.url(LOAD["path"]), connections, seconds, "", LOAD["cookie"])
    perf.send_signal(2)
    perf.wait(timeout=60)
    by_dso = report(data, "dso")
    by_symbol = report(data, "dso,sym")
    return result, by_dso, by_symbol


def report(data, sort):
    out = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--no-children", "--sort", sort,
                          "--percent-limit", "0.3"], capture_output=True, text=True, timeout=300).stdout
    rows = []
    for line in out.splitlines():
        match = re.match(r"\s*([\d.]+)%\s+(.*)$", line)
        if match:
            rows.append((float(match.group(1)), re.sub(r"\s+", " ", match.group(2)).strip()))
    return rows


def syscalls(httpd, connections, seconds):
    """strace -c -f on the children during a wrk run: ({syscall: calls per request}, requests)."""
    args = ["strace", "-c", "-f", "-qq"]
    for pid in httpd.children():
        args += ["-p", str(pid)]
    tracer = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    result = bench.wrk(httpd.url(LOAD["path"]), connections, seconds, "", LOAD["cookie"])
    tracer.send_signal(2)
    _, err = tracer.communicate(timeout=60)
    calls = {}
    for line in err.splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[0].replace(".", "").isdigit() and parts[-1] != "total":
            try:
                calls[parts[-1]] = int(parts[3])
            except ValueError:
                continue
    requests = max(1, result["requests"])
    return {name: count / requests for name, count in calls.items()}, result["requests"]


def switches_of(pids):
    """Per thread of the given processes, summed: voluntary and involuntary context switches, and
    from /proc schedstat the ns spent running, the ns spent runnable but waiting for a CPU, and
    the number of times a CPU was given."""
    total = [0, 0, 0, 0, 0]
    for pid in pids:
        for task in pathlib.Path("/proc/%d/task" % pid).glob("*"):
            try:
                for line in (task / "status").read_text().splitlines():
                    if line.startswith("voluntary_ctxt_switches:"):
                        total[0] += int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches:"):
                        total[1] += int(line.split()[1])
                for index, value in enumerate((task / "schedstat").read_text().split()[:3]):
                    total[2 + index] += int(value)
            except (OSError, ValueError):
                continue
    return total


def context_switches(httpd, connections, seconds):
    """Per request, without a tracer: httpd's threads' (voluntary, involuntary) context switches,
    times given a CPU, and µs waited runnable for one. At saturation the run-queue wait is most
    of a request's latency, so these say where the closed-loop tail comes from (docs §5.1).
    A thread that exits during the run loses its counts, so the children must live through it."""
    pids = [httpd.pid] + httpd.children()
    before = switches_of(pids)
    result = bench.wrk(httpd.url(LOAD["path"]), connections, seconds, "", LOAD["cookie"])
    after = switches_of(pids)
    requests = max(1, result["requests"])
    delta = [b - a for a, b in zip(before, after)]
    return {"voluntary": delta[0] / requests, "involuntary": delta[1] / requests,
            "scheduled": delta[4] / requests, "wait_us": delta[3] / 1e3 / requests}


LIBC_FRAMES = re.compile(r"\((/[^)]*/)?(libc\.so|libpthread|ld-linux|\[kernel|\[vdso|\[unknown|inlined)")


def futex_callers(httpd, connections, seconds, out_dir, label):
    """futex calls per request, by the first frame outside libc ("dso: symbol")."""
    data = out_dir / ("futex-%s.data" % label)
    pids = ",".join(str(p) for p in httpd.children())
    perf = subprocess.Popen(["perf", "record", "-e", "syscalls:sys_enter_futex", "--call-graph", "dwarf,8192",
                             "-o", str(data), "-p", pids], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    result = bench.wrk(httpd.url(LOAD["path"]), connections, seconds, "", LOAD["cookie"])
    perf.send_signal(2)
    perf.wait(timeout=120)
    out = subprocess.run(["perf", "script", "-i", str(data), "-F", "ip,sym,dso"], capture_output=True,
                         text=True, timeout=600).stdout
    callers = collections.Counter()
    for block in out.split("\n\n"):
        frames = [line.strip() for line in block.splitlines() if line.strip()]
        if not frames:
            continue
        caller = next((f for f in frames if not LIBC_FRAMES.search(f)), "(libc only)")
        match = re.match(r"[0-9a-f]+\s+(.*?)\s+\((.*)\)$", caller)
        if match:
            symbol = re.sub(r"\+0x[0-9a-f]+$", "", match.group(1))
            caller = "%s: %s" % (os.path.basename(match.group(2)), symbol)
        callers[caller] += 1
    requests = max(1, result["requests"])
    top = {name: count / requests for name, count in callers.most_common(8)}
    top["(all futex calls)"] = sum(callers.values()) / requests
    return top


def group(by_dso):
    """Folds perf's DSO names into module / libc / httpd / apr / kernel / other."""
    groups = collections.Counter()
    for share, dso in by_dso:
        name = dso.split()[0] if dso else "?"
        if "mod_jk" in name or "mod_swiftjk" in name:
            key = "the module"
        elif name.startswith("libc"):
            key = "libc"
        elif "kernel" in name:
            key = "kernel"
        elif name.startswith("libapr"):
            key = "libapr/libaprutil"
        elif name.startswith("apache2") or name.startswith("mod_"):
            key = "httpd + other modules"
        else:
            key = "other (%s)" % name
        groups[key] += share
    return groups


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", default=str(UNSTRIPPED))
    parser.add_argument("--reference", default=bench.REFERENCE)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=25, help="ThreadsPerChild (25 = ★)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16 = ★)")
    parser.add_argument("--backend", choices=("nullc", "tomcat"), default="nullc",
                        help="two C null AJP containers (the default) or two Tomcats")
    parser.add_argument("--workload", choices=("hello", "sticky", "64k"), default="hello",
                        help="the tiny JSP (the default) or, with --backend tomcat, the sticky-session counter or "
                             "a 64 KiB response")
    parser.add_argument("--tomcat-warmup", type=int, default=20,
                        help="seconds of load through each httpd before measuring, to settle the JIT")
    args = parser.parse_args()
    for tool in ("perf", "strace", "wrk", "cc"):
        if subprocess.run(["which", tool], capture_output=True).returncode != 0:
            sys.exit("profile: %s is missing (make deps)" % tool)
    os.umask(0o022)
    procs.become_subreaper()
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.backend == "tomcat":
        backends = [bench.Tomcat("b%d" % i, "b%d" % i, secret=bench.SECRET, fast_jvm=False) for i in (1, 2)]
    else:
        binary = bench.compile_null_c()
        backends = [bench.NullBackend("n%d" % i, [binary, "{port}", "13"]) for i in (1, 2)]
    fixtures = []
    modules = {"mod_jk": args.reference, "SwiftJK": args.module}
    results = {}
    try:
        for backend in backends:
            fixtures.append(backend)
            backend.start()
        if args.backend == "tomcat":
            for backend in backends:
                backend.wait_ready(90)
                backend.precompile()
        servers = {}
        for label in bench.LABELS:
            httpd = bench.make_httpd(label, modules[label], (args.backend, args.threads, True), backends)
            httpd.start()
            fixtures.append(httpd)
            servers[label] = httpd
        warmup = args.tomcat_warmup if args.backend == "tomcat" else 3
        if args.workload == "sticky":
            set_cookie = bench.http.get(servers["SwiftJK"].url("/counter.jsp")).header("Set-Cookie") or ""
            LOAD.update(path="/counter.jsp", cookie=set_cookie.split(";", 1)[0] or None)
        elif args.workload == "64k":
            LOAD.update(path=bench.WORKLOADS["64k"][0])
        for label in bench.LABELS:
            bench.measure(servers[label], args.workload, args.connections, warmup, LOAD["cookie"])
        for label in bench.LABELS:
            plain = bench.measure(servers[label], args.workload, args.connections, args.seconds, LOAD["cookie"])
            plain["switches"] = context_switches(servers[label], args.connections, args.seconds)
            load, by_dso, by_symbol = perf_shares(servers[label], args.connections, args.seconds, bench.rundir.run_dir(), label)
            calls, requests = syscalls(servers[label], args.connections, args.seconds)
            futexes = futex_callers(servers[label], args.connections, args.seconds, bench.rundir.run_dir(), label)
            results[label] = {"plain": plain, "perf_load": load, "dso": by_dso, "symbols": by_symbol,
                              "syscalls": calls, "futex": futexes}
            print("profile: %s %.0f req/s, %.1f us httpd CPU per request" % (
                label, plain["rps"], plain["httpd_cpu_us_per_req"]), flush=True)
    finally:
        for fixture in reversed(fixtures):
            try:
                fixture.stop()
            except Exception as error:
                print("profile: stopping %s: %s" % (fixture, error))
    markdown = render(results)
    print(markdown)
    name = "profile.md" if (args.threads, args.connections) == (25, 16) else "profile-t%d-c%d.md" % (
        args.threads, args.connections)
    if args.backend == "tomcat":
        name = name.replace("profile", "profile-tomcat" + ("" if args.workload == "hello" else "-" + args.workload))
    (out_dir / name).write_text(markdown + "\n")


def render(results):
    lines = ["| | mod_jk | SwiftJK |", "|---|---:|---:|"]
    plain = {label: results[label]["plain"] for label in bench.LABELS}
    lines.append("| req/s (no tracer) | %.0f | %.0f |" % (plain["mod_jk"]["rps"], plain["SwiftJK"]["rps"]))
    lines.append("| httpd CPU µs per request | %.1f | %.1f |" % (
        plain["mod_jk"]["httpd_cpu_us_per_req"], plain["SwiftJK"]["httpd_cpu_us_per_req"]))
    switches = {label: plain[label]["switches"] for label in bench.LABELS}
    lines.append("| context switches per request, voluntary / involuntary | %.2f / %.2f | %.2f / %.2f |" % (
        switches["mod_jk"]["voluntary"], switches["mod_jk"]["involuntary"],
        switches["SwiftJK"]["voluntary"], switches["SwiftJK"]["involuntary"]))
    lines.append("| times httpd's threads got a CPU per request | %.2f | %.2f |" % (
        switches["mod_jk"]["scheduled"], switches["SwiftJK"]["scheduled"]))
    lines.append("| run-queue wait per request, all httpd threads: µs (µs each time) | %.0f (%.0f) | %.0f (%.0f) |" % tuple(
        value for label in bench.LABELS for value in (
            switches[label]["wait_us"], switches[label]["wait_us"] / max(switches[label]["scheduled"], 1e-9))))
    groups = {label: group(results[label]["dso"]) for label in bench.LABELS}
    keys = sorted(set(groups["mod_jk"]) | set(groups["SwiftJK"]), key=lambda k: -groups["SwiftJK"].get(k, 0))
    for key in keys:
        cpu = {label: groups[label].get(key, 0) / 100 * plain[label]["httpd_cpu_us_per_req"] for label in bench.LABELS}
        lines.append("| %s: share of httpd samples (µs/request) | %.1f%% (%.2f) | %.1f%% (%.2f) |" % (
            key, groups["mod_jk"].get(key, 0), cpu["mod_jk"], groups["SwiftJK"].get(key, 0), cpu["SwiftJK"]))
    calls = {label: results[label]["syscalls"] for label in bench.LABELS}
    lines.append("| system calls per request | %.2f | %.2f |" % (sum(calls["mod_jk"].values()),
                                                                 sum(calls["SwiftJK"].values())))
    names = sorted(set(calls["mod_jk"]) | set(calls["SwiftJK"]),
                   key=lambda n: -(calls["mod_jk"].get(n, 0) + calls["SwiftJK"].get(n, 0)))
    for name in names:
        a, b = calls["mod_jk"].get(name, 0), calls["SwiftJK"].get(name, 0)
        if a >= 0.01 or b >= 0.01:
            lines.append("| · %s per request | %.2f | %.2f |" % (name, a, b))
    lines.append("")
    for label in bench.LABELS:
        lines.append("futex calls per request while perf recorded them (perf changes the timing: compare the callers' shares, not the total with strace's), %s, by first caller outside libc:" % label)
        lines.append("")
        for caller, per_request in results[label]["futex"].items():
            lines.append("- %.2f %s" % (per_request, caller[:160]))
        lines.append("")
    for label in bench.LABELS:
        lines.append("Hottest symbols, %s (share of all httpd samples):" % label)
        lines.append("")
        for share, name in results[label]["symbols"][:25]:
            lines.append("- %.2f%% %s" % (share, name))
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
