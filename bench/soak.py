#!/usr/bin/env python3
"""make soak: SwiftJK under 30 minutes of mixed traffic with failovers; memory and descriptors.

Two clustered Tomcat 10.1 nodes (was1, was2: DeltaManager, synchronous replication, secret)
behind httpd with the harness defaults (event MPM: StartServers 2 × ThreadsPerChild 25,
MaxRequestWorkers 150, KeepAlive On) and mod_swiftjk.so: `JkMount /*.jsp worker1`, worker1 an
lb over both, sticky sessions, every other setting at its default.

For --minutes (default 30), --threads keep-alive clients (default 6) each loop over a weighted
mix with --pause-ms between requests: GET of a tiny JSP and of httpd's own index.html; a sticky
session counter (the count must go on by one; a client starts a new session every 200 requests);
GETs of 256 KiB and 1 MiB (length checked); POSTs of 64 KiB with Content-Length and 256 KiB
chunked (length and SHA-256 checked by the page); a flushed response; and client aborts (a 4 MiB
download reset after 64 KiB, a 1 MiB upload reset after 256 KiB). Every --failover-every seconds
(default 300, the first halfway through) one node is stopped by PID (SIGTERM and SIGKILL in
turn, was1 and was2 in turn) for --down seconds (default 20), then started again and waits until
it has rejoined the cluster.

Every minute: each httpd child's RSS (VmRSS in /proc/PID/status), its anonymous memory split
into malloc heaps, thread stacks and the rest (/proc/PID/smaps: anonymous_memory), descriptors
(/proc/PID/fd, pooled AJP sockets counted apart), the AJP connections, the Tomcats' RSS. At the end: per child
RSS and descriptors at --warmup (5), the middle (15) and the end (30), and their least-squares
slopes after the warm-up (KiB/min, fds/min); the outcomes (errors apart inside the failover
windows: from the stop to 15 s after the node has rejoined); crash lines in error.log.
To tell SwiftJK's growth from httpd's own, --reference MODULE (make soak: Debian's mod_jk) runs
the same soak of that module at the same time, with its own httpd and Tomcats, as a child
process (`--results soak-modjk --no-write`); its table goes into the report under SwiftJK's.
Writes bench/results/soak.{md,json} (--results names them) and the "Soak" section of BENCHMARKS.md (full runs of at
least 30 minutes only). Standard library + the harness; needs root; 127.0.0.1 only.
"""

import argparse
import collections
import hashlib
import json
import os
import pathlib
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "IntegrationTests"))
from sections import write_section  # noqa: E402 (bench/, the script's directory)
os.environ.setdefault("HARNESS_RUN_DIR", str(ROOT / "bench" / "run" / ("soak-" + time.strftime("%Y%m%d-%H%M%S"))))

from harness import Cluster, Httpd, procs  # noqa: E402
from harness.load import KeepAlive  # noqa: E402

SECRET = "bench-soak-secret"
KIB, MIB = 1024, 1024 * 1024
CRASH = re.compile(r"exit signal|Segmentation|Fatal error|core dump|Illegal instruction|Trace/breakpoint|Aborted")
FAILOVER_GRACE = 15.0      # seconds after a rejoin that still count as the failover window

# (operation, weight)
MIX = [("hello", 30), ("static", 5), ("counter", 20), ("get-256k", 10), ("get-1m", 3), ("post-64k", 12),
       ("post-256k-chunked", 5), ("flush", 5), ("abort-download", 5), ("abort-upload", 5)]

POST_64K = random.Random(64).randbytes(64 * KIB)
POST_256K = random.Random(256).randbytes(256 * KIB)
SHA = {len(POST_64K): hashlib.sha256(POST_64K).hexdigest(), len(POST_256K): hashlib.sha256(POST_256K).hexdigest()}


def chunked(data, size=16 * KIB):
    out = b""
    for i in range(0, len(data), size):
        piece = data[i:i + size]
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
    return out + b"0\r\n\r\n"


POST_256K_CHUNKED = chunked(POST_256K)


def say(text=""):
    print(text, flush=True)


def kv(body):
    out = {}
    for line in body.decode("utf-8", "replace").splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out.setdefault(k, v)
    return out


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.ops = collections.Counter()
        self.outcomes = collections.Counter()
        self.errors = []             # (monotonic time, op, what)
        self.sessions = collections.Counter()

    def record(self, op, outcome, t):
        with self.lock:
            self.ops[op] += 1
            self.outcomes[outcome] += 1
            if outcome not in ("ok", "aborted"):
                if len(self.errors) < 100000:
                    self.errors.append((t, op, outcome))

    def total(self):
        with self.lock:
            return sum(self.ops.values()), sum(1 for _ in self.errors)


class Client(threading.Thread):
    """One keep-alive client running the mix until stop_event."""

    def __init__(self, index, port, stats, stop_event, pause, limit):
        super().__init__(daemon=True)
        self.index, self.port, self.stats, self.stop_event = index, port, stats, stop_event
        self.pause, self.limit = pause, limit
        self.rng = random.Random(1000 + index)
        self.conn = KeepAlive(port, timeout=30)
        self.cookie = None
        self.count = 0
        self.session_requests = 0

    def run(self):
        ops = [op for op, weight in MIX for _ in range(weight)]
        try:
            for _ in range(self.limit):
                if self.stop_event.is_set():
                    break
                op = self.rng.choice(ops)
                t = time.monotonic()
                try:
                    outcome = getattr(self, "op_" + op.replace("-", "_"))()
                except socket.timeout:
                    self.conn.close()
                    outcome = "timeout"
                except (EOFError, ConnectionResetError, BrokenPipeError):
                    self.conn.close()
                    outcome = "no-response"
                except (OSError, ValueError) as e:
                    self.conn.close()
                    outcome = "error:%s" % type(e).__name__
                self.stats.record(op, outcome, t)
                if self.pause:
                    self.stop_event.wait(self.pause)
        finally:
            self.conn.close()

    def _get(self, path, headers=None):
        r = self.conn.request("GET", path, headers)
        if not r.complete:
            return r, "truncated:%d" % r.status
        if r.status != 200:
            return r, "status:%d" % r.status
        return r, None

    def op_hello(self):
        r, bad = self._get("/hello.jsp")
        return bad or ("ok" if r.body == b"hello\n" else "bad-body")

    def op_static(self):
        r, bad = self._get("/index.html")
        return bad or ("ok" if b"swiftjk-harness-static-index" in r.body else "bad-body")

    def op_flush(self):
        r, bad = self._get("/flush.jsp?ms=20")
        return bad or ("ok" if b"part1" in r.body and b"part2" in r.body else "bad-body")

    def op_get_256k(self):
        r, bad = self._get("/big.jsp?size=%d" % (256 * KIB))
        return bad or ("ok" if len(r.body) == 256 * KIB else "bad-body")

    def op_get_1m(self):
        r, bad = self._get("/big.jsp?size=%d" % MIB)
        return bad or ("ok" if len(r.body) == MIB else "bad-body")

    def _post(self, body, wire_body, headers):
        r = self.conn.request("POST", "/post.jsp", headers, wire_body)
        if not r.complete:
            return "truncated:%d" % r.status
        if r.status != 200:
            return "status:%d" % r.status
        got = kv(r.body)
        return "ok" if got.get("length") == str(len(body)) and got.get("sha256") == SHA[len(body)] else "bad-body"

    def op_post_64k(self):
        return self._post(POST_64K, POST_64K, [("Content-Type", "application/octet-stream")])

    def op_post_256k_chunked(self):
        return self._post(POST_256K, POST_256K_CHUNKED, [("Content-Type", "application/octet-stream"),
                                                         ("Transfer-Encoding", "chunked")])

    def op_counter(self):
        if self.cookie is None or self.session_requests >= 200:
            self.cookie, self.count, self.session_requests = None, 0, 0
        headers = [("Cookie", "JSESSIONID=" + self.cookie)] if self.cookie else None
        r, bad = self._get("/counter.jsp", headers)
        if bad:
            return bad
        for name, value in r.headers:
            if name.lower() == "set-cookie" and value.startswith("JSESSIONID="):
                self.cookie = value.split(";", 1)[0].split("=", 1)[1]
        got = kv(r.body)
        count = int(got.get("count", "0"))
        expected = self.count + 1
        self.count = count
        self.session_requests += 1
        if count == expected:
            return "ok"
        return "session-lost" if count == 1 else "count-skip"

    def _abort(self, sock):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()

    def op_abort_download(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        try:
            s.sendall(b"GET /big.jsp?size=%d HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % (4 * MIB))
            got = 0
            while got < 64 * KIB:
                data = s.recv(65536)
                if not data:
                    return "no-response"
                got += len(data)
        finally:
            self._abort(s)
        return "aborted"

    def op_abort_upload(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        try:
            s.sendall(b"POST /post.jsp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
                      b"Content-Length: %d\r\n\r\n" % MIB)
            s.sendall(POST_256K)
        finally:
            self._abort(s)
        return "aborted"


# ---------------------------------------------------------------- sampling

def status_kib(pid, field):
    """A KiB field of /proc/PID/status (VmRSS, RssAnon, RssFile), None if the process is gone."""
    try:
        for line in pathlib.Path("/proc/%d/status" % pid).read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def vm_rss(pid):
    return status_kib(pid, "VmRSS")


HEAP_MAX = 64 * MIB      # glibc's HEAP_MAX_SIZE on 64-bit: every non-main arena lives in one such aligned reservation


def anonymous_memory(pid):
    """Where a process's anonymous memory is, from /proc/PID/smaps (KiB of `Anonymous:`):
    {"heap": glibc's malloc heaps, "heap_mapped": their size (touched or not), "arenas": their number, "stacks": thread stacks,
    "threads": their number, "other": the rest (mmap'd large blocks, the runtimes' own maps)};
    None if the process is gone.

    The main arena is the `[heap]` mapping. Every other arena is a heap that glibc reserves as
    HEAP_MAX bytes aligned to HEAP_MAX: an anonymous read-write mapping at an aligned address,
    followed by the still inaccessible rest of the reservation (---p), the two adding up to
    HEAP_MAX. A thread stack is an anonymous read-write mapping right above its guard (---p).
    The split tells a leak (heap growing while the arena count stays) from arenas and stacks
    reaching their high-water marks: glibc keeps up to 8 arenas per core and each keeps its
    peak, and each thread's stack keeps the deepest call it has made."""
    maps = []
    try:
        current = None
        for line in pathlib.Path("/proc/%d/smaps" % pid).read_text().splitlines():
            head = re.match(r"^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ (\d+)\s*(.*)$", line)
            if head:
                current = {"start": int(head.group(1), 16), "end": int(head.group(2), 16), "perms": head.group(3),
                           "inode": int(head.group(4)), "path": head.group(5).strip(), "anon": 0}
                maps.append(current)
            elif current is not None and line.startswith("Anonymous:"):
                current["anon"] = int(line.split()[1])
    except OSError:
        return None
    out = {"heap": 0, "heap_mapped": 0, "arenas": 0, "stacks": 0, "threads": 0, "other": 0}
    for i, m in enumerate(maps):
        if m["path"] == "[heap]":
            out["heap"] += m["anon"]
            out["heap_mapped"] += (m["end"] - m["start"]) // KIB
            out["arenas"] += 1
            continue
        if m["path"] or m["inode"] or m["perms"] != "rw-p":
            continue
        size = m["end"] - m["start"]
        following = maps[i + 1] if i + 1 < len(maps) else None
        before = maps[i - 1] if i > 0 else None
        reserved = size
        if following and following["start"] == m["end"] and following["perms"] == "---p" and not following["path"]:
            reserved += following["end"] - following["start"]
        if m["start"] % HEAP_MAX == 0 and reserved == HEAP_MAX:
            out["heap"] += m["anon"]
            out["heap_mapped"] += size // KIB
            out["arenas"] += 1
        elif before and before["end"] == m["start"] and before["perms"] == "---p" and not before["path"] \
                and MIB <= size <= 64 * MIB:
            out["stacks"] += m["anon"]
            out["threads"] += 1
        else:
            out["other"] += m["anon"]
    return out


def established(port):
    out = subprocess.run(["ss", "-Htn", "state", "established", "dst", "127.0.0.1:%d" % port],
                         stdout=subprocess.PIPE, timeout=10).stdout.decode()
    return len([line for line in out.splitlines() if line.strip()])


def sample(minute, t0, httpd, cluster, stats):
    ajp_ports = {node.ajp_port for node in cluster}
    children = {}
    for pid in httpd.children():
        rss = vm_rss(pid)
        anon = status_kib(pid, "RssAnon")
        split = anonymous_memory(pid) or {}
        try:
            fds = Httpd.fd_count(pid)
            peers = Httpd.tcp_peer_ports(pid)
        except OSError:
            continue
        if rss is not None:
            children[pid] = {"rss": rss, "anon": anon or 0, "split": split, "fds": fds, "ajp": sum(n for p, n in peers.items() if p in ajp_ports)}
    requests, errors = stats.total()
    return {"minute": minute, "at": (time.monotonic() - t0) / 60, "children": children,
            "parent_rss": vm_rss(httpd.pid), "ajp": {node.name: established(node.ajp_port) for node in cluster},
            "tomcat_rss": {node.name: vm_rss(node.pid) if node.pid else None for node in cluster},
            "requests": requests, "errors": errors, "load1": os.getloadavg()[0]}


class Sampler(threading.Thread):
    def __init__(self, t0, minutes, httpd, cluster, stats):
        super().__init__(daemon=True)
        self.t0, self.minutes, self.httpd, self.cluster, self.stats = t0, minutes, httpd, cluster, stats
        self.samples = []
        self.stop_event = threading.Event()

    def run(self):
        for minute in range(self.minutes + 1):
            if self.stop_event.wait(max(0.0, self.t0 + 60 * minute - time.monotonic())):
                return
            s = sample(minute, self.t0, self.httpd, self.cluster, self.stats)
            self.samples.append(s)
            say("soak: minute %2d: %d requests, %d errors, load %.1f; children %s; AJP %s" % (
                minute, s["requests"], s["errors"], s["load1"],
                ", ".join("%d: %d KiB (anon %d: malloc %s in %s arenas, stacks %s of %s threads, other %s)/%d fds (%d AJP)" % (
                    pid, c["rss"], c["anon"], c["split"].get("heap"), c["split"].get("arenas"), c["split"].get("stacks"),
                    c["split"].get("threads"), c["split"].get("other"), c["fds"], c["ajp"])
                          for pid, c in sorted(s["children"].items())),
                ", ".join("%s %d" % kv for kv in s["ajp"].items())))


def slope(points):
    """Least-squares slope of [(x, y), ...]; None with fewer than 3 points."""
    if len(points) < 3:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else None


# ---------------------------------------------------------------- failovers

def failover(cluster, name, how, down, log):
    node = cluster[name]
    t_stop = time.monotonic()
    if how == "SIGKILL":
        node.kill9()
    else:
        node.stop()
    say("soak: %s of %s (%s)" % (how, name, time.strftime("%H:%M:%S")))
    time.sleep(max(0.0, t_stop + down - time.monotonic()))
    t_start = time.monotonic()
    entry = {"node": name, "how": how, "stop": t_stop, "down_s": t_start - t_stop}
    try:
        entry["rejoin_s"] = cluster.rejoin(name, timeout=120)
    except Exception as error:       # the soak goes on with one node; reported
        entry["rejoin_error"] = str(error).splitlines()[0]
        say("soak: %s did not rejoin: %s" % (name, entry["rejoin_error"]))
    entry["back"] = time.monotonic()
    say("soak: %s back after %.1f s down (rejoin %.1f s)" % (name, t_start - t_stop, entry.get("rejoin_s", -1)))
    log.append(entry)


# ---------------------------------------------------------------- report

def report(samples, failovers, stats, args, t0, httpd, context, points):
    lines = []
    middle = (args.warmup + args.minutes) // 2
    warm = [s for s in samples if s["minute"] >= args.warmup]
    by_minute = {s["minute"]: s for s in samples}
    pids = sorted({pid for s in samples for pid in s["children"]})
    head = "| httpd child | " + " | ".join("RSS @%d min" % p for p in points) + \
           " | RSS slope after %d min | anon slope %d–%d / %d–%d min | " % (
               args.warmup, args.warmup, middle, middle, args.minutes) + \
           " | ".join("anon @%d min: malloc / stacks / other" % p for p in points) + " | " + " | ".join("fds @%d min" % p for p in points) + \
           " | fds slope | non-AJP fds slope | Lived (min) |"
    lines += ["Two clustered Tomcats (was1, was2) behind httpd 2.4 (event MPM, harness defaults: StartServers 2 × "
              "ThreadsPerChild 25, MaxRequestWorkers 150) and %s (lb worker1, sticky, defaults). %d keep-alive "
              "clients, %d ms apart, ran the mix for %d minutes (weights: %s); a failover every %d s (a node stopped by PID "
              "for %d s, SIGTERM and SIGKILL in turn, then restarted until it rejoined the cluster). RSS = VmRSS in KiB; "
              "fds = /proc/PID/fd (pooled AJP sockets in brackets); slopes = least squares over the samples from minute "
              "%d to the end; anon = RssAnon (the heap and other private memory, without mapped code), its slope in "
              "each half after the warm-up: a leak keeps its slope, a warm-up flattens; anon split in KiB: glibc's malloc "
              "heaps, touched of mapped (all arenas: up to 8 per core; pages once touched stay resident, so the touched "
              "part creeps up to the mapped size, which grows only when an arena needs more), thread stacks (each keeping its deepest "
              "call), other (large blocks mmap'd by malloc, the runtimes' own maps)." % ("SwiftJK" if "swiftjk" in os.path.basename(args.module) else os.path.basename(args.module), args.threads, args.pause_ms, args.minutes, ", ".join("%s %d" % m for m in MIX),
                                  args.failover_every, args.down, args.warmup), "",
              "Machine: %s; %s at the start, %s at the end%s." % (context["machine"], context["load_start"],
                                                                  context["load_end"], context["note"]), "",
              head, "|---|" + "---:|" * (3 * len(points) + 4) + "---|"]
    for pid in pids:
        mine = [(s["at"], s["children"][pid]) for s in samples if pid in s["children"]]
        mine_warm = [(at, c) for at, c in mine if at >= args.warmup - 0.01]
        cells = []
        for p in points:
            c = by_minute.get(p, {}).get("children", {}).get(pid)
            cells.append("%d" % c["rss"] if c else "—")
        rss_slope = slope([(at, c["rss"]) for at, c in mine_warm])
        halves = [slope([(at, c["anon"]) for at, c in mine_warm if low - 0.01 <= at <= high + 0.01])
                  for low, high in ((args.warmup, middle), (middle, args.minutes))]
        anon_cell = " / ".join("%+.2f" % h if h is not None else "—" for h in halves) + " KiB/min"
        fd_cells = []
        for p in points:
            c = by_minute.get(p, {}).get("children", {}).get(pid)
            fd_cells.append("%d (%d)" % (c["fds"], c["ajp"]) if c else "—")
        heap_cells = []
        for p in points:
            c = by_minute.get(p, {}).get("children", {}).get(pid)
            split = (c or {}).get("split") or {}
            heap_cells.append("%s of %s / %s / %s" % (split.get("heap", "—"), split.get("heap_mapped", "—"),
                                                      split.get("stacks", "—"), split.get("other", "—")))
        fd_slope = slope([(at, c["fds"]) for at, c in mine_warm])
        other_slope = slope([(at, c["fds"] - c["ajp"]) for at, c in mine_warm])
        lived = "%d–%d" % (min(s["minute"] for s in samples if pid in s["children"]),
                           max(s["minute"] for s in samples if pid in s["children"]))
        lines.append("| %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            pid, " | ".join(cells), "%+.2f KiB/min" % rss_slope if rss_slope is not None else "—", anon_cell,
            " | ".join(heap_cells),
            " | ".join(fd_cells), "%+.3f/min" % fd_slope if fd_slope is not None else "—",
            "%+.3f/min" % other_slope if other_slope is not None else "—", lived))
    total_slope = slope([(s["at"], sum(c["rss"] for c in s["children"].values())) for s in warm])
    lines.append("")
    lines.append("All children together: RSS slope %s after minute %d; parent RSS %s → %s KiB; Tomcat RSS at the end: %s." % (
        "%+.1f KiB/min" % total_slope if total_slope is not None else "—", args.warmup,
        samples[0]["parent_rss"] if samples else "?", samples[-1]["parent_rss"] if samples else "?",
        ", ".join("%s %s MiB" % (n, "%.0f" % (r / 1024) if r else "—") for n, r in samples[-1]["tomcat_rss"].items())
        if samples else "?"))
    total = sum(stats.ops.values())
    in_window = collections.Counter()
    outside = collections.Counter()
    for t, op, what in stats.errors:
        windowed = any(f["stop"] - 1 <= t <= f["back"] + FAILOVER_GRACE for f in failovers)
        (in_window if windowed else outside)["%s %s" % (op, what)] += 1
    lines.append("")
    lines.append("Requests: %d (%.0f/s): %s." % (total, total / max(1.0, args.minutes * 60), ", ".join(
        "%s %d" % kv for kv in sorted(stats.ops.items(), key=lambda kv: -kv[1]))))
    lines.append("Outcomes: %s." % ", ".join("%s %d" % kv for kv in sorted(stats.outcomes.items(), key=lambda kv: -kv[1])))
    lines.append("Failures inside failover windows (stop → rejoined + %d s): %s." % (
        FAILOVER_GRACE, ", ".join("%s ×%d" % kv for kv in in_window.most_common()) or "none"))
    lines.append("Failures outside them: %s." % (", ".join("%s ×%d" % kv for kv in outside.most_common()) or "none"))
    lines.append("Failovers: %s." % ("; ".join(
        "%.1f min %s %s, down %.0f s, %s" % ((f["stop"] - t0) / 60, f["how"], f["node"], f["down_s"],
                                             "rejoined in %.1f s" % f["rejoin_s"] if "rejoin_s" in f else
                                             "NOT rejoined: %s" % f.get("rejoin_error"))
        for f in failovers) or "none"))
    err = httpd.error_log()
    crashes = [line for line in err.splitlines() if CRASH.search(line)]
    jk = httpd.jk_log()
    levels = collections.Counter(re.findall(r"\] \[(trace\d?|debug|info|warn|error|emerg)\] ", jk))
    lines.append("Crashes: %s. jk.log lines by level: %s." % (
        "none (no \"exit signal\", \"Segmentation\" or \"Fatal error\" in error.log)" if not crashes else
        "**%d**: `%s`" % (len(crashes), crashes[0][:300]), ", ".join("%s %d" % kv for kv in levels.items()) or "none"))
    jk_errors = [line for line in jk.splitlines() if "[error]" in line]
    for line in jk_errors[:3]:
        lines.append("- jk.log: `%s`" % line[:300])
    if len(jk_errors) > 3:
        lines.append("- … and %d more [error] lines" % (len(jk_errors) - 3))
    return "\n".join(lines)


MARK = "<!-- section written by bench/soak.py (make soak) -->"


def load_text():
    return "load average %.2f, %.2f, %.2f" % os.getloadavg()


REFERENCE_RESULTS = "soak-modjk"


def start_reference(args):
    """The same soak of args.reference in a child process, output to bench/results/soak-modjk.log."""
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    log = open(out_dir / (REFERENCE_RESULTS + ".log"), "w")
    cmd = [sys.executable, str(pathlib.Path(__file__).resolve()), "--module", args.reference,
           "--minutes", str(args.minutes), "--warmup", str(args.warmup), "--threads", str(args.threads),
           "--pause-ms", str(args.pause_ms), "--failover-every", str(args.failover_every),
           "--down", str(args.down), "--results", REFERENCE_RESULTS, "--no-write",
           "--note", "run at the same time as the soak of SwiftJK"]
    say("soak: reference %s at the same time (log: bench/results/%s.log)" % (args.reference, REFERENCE_RESULTS))
    (out_dir / (REFERENCE_RESULTS + ".md")).unlink(missing_ok=True)
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def reference_report(proc, args):
    """The reference's table and findings, once its soak has written them (bounded wait)."""
    try:
        rc = proc.wait(timeout=300)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
        try:
            rc = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait(timeout=30)
    path = ROOT / "bench" / "results" / (REFERENCE_RESULTS + ".md")
    if rc != 0 or not path.exists():
        return "### %s at the same time\n\nIts soak failed (exit %s): see bench/results/%s.log." % (
            os.path.basename(args.reference), rc, REFERENCE_RESULTS)
    body = path.read_text().split("\n", 2)[2].strip()   # without its "# Soak" title
    return "### %s at the same time\n\n%s" % (os.path.basename(args.reference), body)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", default=str(ROOT / "mod_swiftjk.so"))
    parser.add_argument("--minutes", type=int, default=30, help="length of the soak (default 30)")
    parser.add_argument("--warmup", type=int, default=5, help="minutes before the slopes start (default 5)")
    parser.add_argument("--threads", type=int, default=6, help="keep-alive clients")
    parser.add_argument("--pause-ms", type=int, default=20, help="pause of each client between requests")
    parser.add_argument("--failover-every", type=int, default=300, help="seconds between failovers")
    parser.add_argument("--down", type=int, default=20, help="seconds a stopped node stays down")
    parser.add_argument("--note", default="", help="a remark for the report (e.g. what else ran)")
    parser.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    parser.add_argument("--results", default="soak", help="file name of bench/results/NAME.{md,json} (default soak)")
    parser.add_argument("--reference", metavar="MODULE",
                        help="soak this module too, at the same time (its results: soak-modjk)")
    args = parser.parse_args()
    # httpd resolves a relative LoadModule path against its own ServerRoot, not ours.
    args.module = os.path.abspath(args.module)
    if args.reference:
        args.reference = os.path.abspath(args.reference)
    if not os.path.isfile(args.module):
        sys.exit("soak: %s is missing" % args.module)
    if os.geteuid() != 0:
        sys.exit("soak: run as root (httpd starts as root and switches to www-data)")
    if not 1 <= args.minutes <= 24 * 60 or not 0 <= args.warmup < args.minutes:
        sys.exit("soak: need 1 <= --minutes <= 1440 and 0 <= --warmup < --minutes")
    if args.down + 5 >= args.failover_every:
        sys.exit("soak: --down must be well below --failover-every")
    os.umask(0o022)
    procs.become_subreaper()
    note = args.note
    reference = None
    if args.reference:
        if not os.path.isfile(args.reference):
            sys.exit("soak: reference module %s is missing" % args.reference)
        note = "; ".join(filter(None, [note, "run at the same time as the soak of %s below" % os.path.basename(args.reference)]))
        reference = start_reference(args)
    context = {"machine": "%d cores" % os.cpu_count(), "load_start": load_text(),
               "note": ("; " + note) if note else ""}
    say("soak: %s; module %s; %d minutes" % (
        subprocess.run(["uptime"], stdout=subprocess.PIPE, text=True).stdout.strip(), args.module, args.minutes))
    fixtures = []
    stop_event = threading.Event()
    clients, sampler = [], None
    try:
        cluster = Cluster(("was1", "was2"), secret=SECRET, channel_send_options=6, fast_jvm=False,
                          heap=("128m", "512m"))
        fixtures.append(cluster)
        say("soak: starting two clustered Tomcats ...")
        cluster.start(timeout=120)
        httpd = Httpd(args.module, mpm="event", workers_properties=cluster.workers_properties(),
                      jk_directives="JkMount /*.jsp worker1", name="httpd-soak")
        rc, out = httpd.configtest()
        if rc != 0:
            sys.exit("soak: apache2 -t failed:\n%s" % out)
        fixtures.append(httpd)  # before start: an interrupt during start must still stop it
        httpd.start()
        stats = Stats()
        t0 = time.monotonic()
        end = t0 + args.minutes * 60
        clients = [Client(i, httpd.port, stats, stop_event, args.pause_ms / 1000.0, limit=10 ** 8)
                   for i in range(args.threads)]
        for c in clients:
            c.start()
        sampler = Sampler(t0, args.minutes, httpd, cluster, stats)
        sampler.start()
        failovers = []
        k = 0
        while True:
            at = t0 + args.failover_every * (k + 0.5)
            if at + args.down + 60 > end:       # no failover whose rejoin would run past the end
                break
            time.sleep(max(0.0, at - time.monotonic()))
            failover(cluster, ("was1", "was2")[k % 2], ("SIGTERM", "SIGKILL")[(k // 2) % 2], args.down, failovers)
            if not httpd.running():
                say("soak: httpd is gone:\n%s" % httpd.error_log_tail())
                break
            k += 1
        sampler.join(max(0.0, end - time.monotonic()) + 30)
        stop_event.set()
        for c in clients:
            c.join(40)
        context["load_end"] = load_text()
        samples = sampler.samples
        points = sorted({args.warmup, args.minutes // 2, args.minutes} & {s["minute"] for s in samples})
        out_dir = ROOT / "bench" / "results"
        out_dir.mkdir(parents=True, exist_ok=True)
        # The samples first: a report that fails must not lose 30 minutes of them.
        (out_dir / (args.results + ".json")).write_text(json.dumps({
            "args": vars(args), "samples": samples, "ops": stats.ops, "outcomes": stats.outcomes,
            "failovers": [dict(f, stop=(f["stop"] - t0) / 60, back=(f["back"] - t0) / 60) for f in failovers],
            "errors": [((t - t0) / 60, op, what) for t, op, what in stats.errors[:5000]]}, indent=1, default=str) + "\n")
        markdown = report(samples, failovers, stats, args, t0, httpd, context, points)
        if reference is not None:
            markdown += "\n\n" + reference_report(reference, args)
        say()
        say(markdown)
        (out_dir / (args.results + ".md")).write_text("# Soak\n\n" + markdown + "\n")
        if args.no_write or args.minutes < 30:
            say("soak: wrote bench/results/%s.{md,json} (BENCHMARKS.md kept: %s)" % (args.results,
                "--no-write" if args.no_write else "shorter than 30 minutes"))
        else:
            write_section(MARK, "## Soak (`make soak`, %d minutes)\n\n" % args.minutes + markdown)
            say("soak: wrote bench/results/soak.{md,json} and the Soak section of BENCHMARKS.md")
    finally:
        stop_event.set()
        if reference is not None and reference.poll() is None:
            reference.send_signal(signal.SIGINT)   # KeyboardInterrupt: its finally stops its httpd and Tomcats
            try:
                reference.wait(timeout=60)
            except subprocess.TimeoutExpired:
                reference.kill()
        if sampler is not None:
            sampler.stop_event.set()
        for c in clients:
            c.join(5)
        for fixture in reversed(fixtures):
            try:
                fixture.stop()
            except Exception as error:
                say("soak: stopping %s: %s" % (fixture, error))
        procs.cleanup_all()


if __name__ == "__main__":
    main()
