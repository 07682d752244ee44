#!/usr/bin/env python3
"""make instructions: instructions executed per request, by object, for each module (no noise).

req/s on this small shared machine swings by ±10 % between runs, too much to tell whether a
change costs 2 %. Instruction counts don't swing. This runs each module's httpd in one process
(`apache2 -X`, event MPM, bench's ★ configuration: C null backends, an AJP secret, sticky lb,
status worker, access log) under `valgrind --tool=callgrind` twice: both runs send a warm-up,
then keep-alive GETs of /hello.jsp on one connection, the second run N more than the first.
The difference of callgrind_annotate's counts per object, divided by N, is what a request costs.

Prints instructions per request for the module, libc, httpd, APR and the total, per module given
(`--module LABEL=PATH`, repeatable; Debian's mod_jk is always one of them), and writes
bench/results/instructions.md. Compare unstripped builds: `.build/release/libmod_swiftjk.so`.
Instruction counts leave out the kernel (85 % of httpd's time here) and cache effects: they tell
whether user-space work changed, not what req/s will be.
"""

import argparse
import collections
import http.client
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bench  # noqa: E402  (also sets up the harness import path and run directory)
from harness import ports, procs  # noqa: E402

ROOT = bench.ROOT
UNSTRIPPED = ROOT / ".build" / "release" / "libmod_swiftjk.so"
CONFIG = ("nullc", 25, True)  # bench's ★ cell: C null backends, ThreadsPerChild 25, secret on
WARM_UP = 200  # GETs on a first connection: pools, caches and lazy start-up paths filled
BASE = 50  # GETs on the measured connection in the shorter of the two runs
HEADERS = {}  # sent with every GET (--cookie: a sticky session's cookie)


def requests(port, count, deadline):
    """`count` keep-alive GETs of /hello.jsp on one connection; fails on anything but 200."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for _ in range(count):
            if time.monotonic() > deadline:
                raise TimeoutError("instructions: requests took too long")
            conn.request("GET", "/hello.jsp", headers=HEADERS)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError("instructions: /hello.jsp answered %d" % response.status)
    finally:
        conn.close()


def by_object(dump):
    """{object file: instructions} from callgrind_annotate on one dump."""
    out = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", dump],
                         capture_output=True, text=True, timeout=300).stdout
    counts = collections.Counter()
    for line in out.splitlines():
        match = re.match(r"\s*([\d,]+)\s+(?:\([\s\d.]+%\)\s+)?\S*?:?(.*?)\s\[(.+)\]\s*$", line)
        if match:
            counts[os.path.basename(match.group(3))] += int(match.group(1).replace(",", ""))
    return counts


def group(name):
    if name.startswith("module-"):
        return "the module"
    if name.startswith("libc.") or name.startswith("libc-") or name.startswith("ld-linux"):
        return "libc"
    if name.startswith("libapr"):
        return "APR"
    if name.startswith("apache2") or name.startswith("mod_"):
        return "httpd + other modules"
    return "other"


def run_once(label, so, backends, count, out_dir):
    """One httpd -X under callgrind: a warm-up connection of WARM_UP GETs, then a second one of
    `count`, then SIGTERM (callgrind writes its dump at exit). Returns {object: instructions}."""
    httpd = bench.make_httpd(label, so, CONFIG, backends)
    httpd.create()
    dump = out_dir / ("callgrind-%s-%d.out" % (label, count))
    # valgrind opens the file as root at start and writes it at exit as www-data (the -X process
    # drops privileges): give it to www-data first.
    dump.touch()
    shutil.chown(dump, "www-data", "www-data")
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=%s" % dump] + httpd._cmd("-X")
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=httpd.environment())
    try:
        procs.wait_until(lambda: ports.is_listening(httpd.port), 120, what="%s under valgrind" % label)
        deadline = time.monotonic() + 600
        requests(httpd.port, WARM_UP, deadline)
        requests(httpd.port, count, deadline)
    finally:
        proc.send_signal(15)
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
    if not dump.exists():
        raise RuntimeError("instructions: no callgrind dump for %s at %s" % (label, dump))
    return by_object(str(dump))


def symbols_only(so, label, out_dir):
    """A copy of `so` with its symbols but without DWARF: valgrind 3.19 cannot read the DWARF 5
    of Swift's toolchain and gives up on the whole process."""
    copy = out_dir / ("module-%s.so" % label)
    subprocess.run(["objcopy", "--strip-debug", "--remove-section=.gnu_debuglink", str(so), str(copy)],
                   check=True, timeout=120)
    copy.chmod(0o644)
    return copy


def measure(label, so, backends, count, out_dir):
    """Instructions per request: two runs that differ only by `count` requests on the measured
    connection, so start-up, warm-up, connection and shutdown costs cancel out."""
    so = symbols_only(so, label, out_dir)
    base = run_once(label, so, backends, BASE, out_dir)
    more = run_once(label, so, backends, BASE + count, out_dir)
    return {name: (more[name] - base.get(name, 0)) / count for name in more}


def render(results, count):
    labels = list(results)
    cookie = " with `Cookie: %s`" % HEADERS["Cookie"] if "Cookie" in HEADERS else ""
    lines = ["Instructions per request (callgrind, `apache2 -X`, %d keep-alive GETs of /hello.jsp%s, "
             "C null backends, secret on):" % (count, cookie), "",
             "| | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    groups = {label: collections.Counter() for label in labels}
    for label in labels:
        for name, value in results[label].items():
            groups[label][group(name)] += value
    for key in ("the module", "libc", "APR", "httpd + other modules", "other"):
        lines.append("| %s | " % key + " | ".join("%.0f" % groups[l][key] for l in labels) + " |")
    lines.append("| **total** | " + " | ".join("**%.0f**" % sum(groups[l].values()) for l in labels) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", action="append", default=[],
                        help="LABEL=PATH of a module to count (repeatable); default SwiftJK=%s" % UNSTRIPPED)
    parser.add_argument("--reference", default=bench.REFERENCE, help="Debian's mod_jk, or none")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--cookie", help="a Cookie header for every GET, e.g. JSESSIONID=0123ABCD.n1 "
                                         "(the lb members are n1 and n2): the sticky path")
    args = parser.parse_args()
    if args.cookie:
        HEADERS["Cookie"] = args.cookie
    for tool in ("valgrind", "callgrind_annotate", "cc"):
        if subprocess.run(["which", tool], capture_output=True).returncode != 0:
            sys.exit("instructions: %s is missing (apt-get install valgrind)" % tool)
    modules = {"mod_jk": args.reference} if args.reference != "none" else {}
    for item in args.module or ["SwiftJK=%s" % UNSTRIPPED]:
        label, _, path = item.partition("=")
        modules[label] = path
    os.umask(0o022)
    procs.become_subreaper()
    out_dir = bench.rundir.run_dir()
    binary = bench.compile_null_c()
    backends = [bench.NullBackend("n%d" % i, [binary, "{port}", "13"]) for i in (1, 2)]
    results = {}
    try:
        for backend in backends:
            backend.start()
        for label, path in modules.items():
            results[label] = measure(label, path, backends, args.requests, out_dir)
            print("instructions: %s %.0f per request" % (label, sum(results[label].values())), flush=True)
    finally:
        for backend in backends:
            backend.stop()
    markdown = render(results, args.requests)
    print(markdown)
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "results" / "instructions.md").write_text(markdown + "\n")


if __name__ == "__main__":
    main()
