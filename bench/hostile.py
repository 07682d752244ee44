#!/usr/bin/env python3
"""make hostile: SwiftJK in front of a real Tomcat while hostile clients attack httpd.

One Tomcat 10.1 (the harness webapp plus a streaming page, stream.jsp, written into this run's
copy of it), httpd with the harness defaults (event MPM: StartServers 2, ThreadsPerChild 25,
MaxRequestWorkers 150, KeepAlive On, KeepAliveTimeout 5, httpd's default Timeout of 60 s) and
mod_swiftjk.so: `JkMount /*.jsp worker1`, worker1 an lb (sticky) over the Tomcat, with a secret.
Then, one after the other, each for --seconds (default 30):

1. slowloris: 1,000 connections that send a partial request a byte at a time every 2 s
   (and reopen when httpd closes them);
2. oversized: 100 KB URIs, 64 KB headers, 10,000 headers, and requests inside httpd's limits
   but over the 8 KiB AJP packet (an 8 KB URI, 12 headers of 7 KB): new connections, 3 threads;
3. header flood: 95 small headers per request, and 99 headers of ~100 bytes, keep-alive, 4 threads;
4. aborted uploads: 100 MiB chunked (one in four Content-Length) POSTs to /post.jsp; the
   client sends 1-16 MiB, then resets (SO_LINGER 0) or closes; 3 threads;
5. non-readers: 32 clients (SO_RCVBUF 4 KiB) ask for a 100 MiB /stream.jsp and never read,
   holding their connections for the whole attack, then half reset and half close.

Meanwhile a legitimate client sends GET /hello.jsp at --legit-rate per second (keep-alive; every
10th request on a new connection, as a new visitor), with a 10 s timeout, and its latency is
compared with a quiet run of the same client. Before and after each attack (the "after" once
the counts have settled, at most 30 s): every httpd child's descriptors (/proc/PID/fd, AJP
sockets counted apart), the AJP connections in `ss`, the children; during it, the peaks. A child
that died is looked for as "exit signal"/"Segmentation"/"Fatal error" in error.log and as a PID
that vanished (without such a line: httpd's idle-server maintenance stopping a surplus child).

Three variants (--variants): `defaults` (the harness configuration, no mod_reqtimeout),
`reqtimeout` (Debian's mods-available/reqtimeout.conf: header=20-40,minrate=500 body=10,minrate=500,
as a real Debian deployment has) and `sized` (reqtimeout and more worker threads than slowloris
connections, all started before the attack: how httpd is configured to survive it; shows that the module adds no limit). Writes bench/results/hostile.md and the "Hostile clients"
section of BENCHMARKS.md. Standard library + the harness; needs root; 127.0.0.1 only; every loop
is bounded in time and count; everything started is stopped by PID.
"""

import argparse
import collections
import errno
import os
import pathlib
import random
import re
import resource
import selectors
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "IntegrationTests"))
from sections import write_section  # noqa: E402 (bench/, the script's directory)
os.environ.setdefault("HARNESS_RUN_DIR", str(ROOT / "bench" / "run" / ("hostile-" + time.strftime("%Y%m%d-%H%M%S"))))

from harness import Httpd, Tomcat, procs, rundir  # noqa: E402
from harness.httpd import MPM_DEFAULTS  # noqa: E402
from harness.load import KeepAlive, outcome_of  # noqa: E402
from harness.tomcat import WEBAPP_DIR  # noqa: E402

SECRET = "bench-hostile-secret"
MIB = 1024 * 1024
LEGIT_TIMEOUT = 10.0
CRASH = re.compile(r"exit signal|Segmentation|Fatal error|core dump|Illegal instruction|Trace/breakpoint|Aborted")
REQTIMEOUT_CONF = "RequestReadTimeout header=20-40,minrate=500\nRequestReadTimeout body=10,minrate=500\n"
# name: (description, extra modules, extra httpd.conf, MPM settings over the harness defaults)
VARIANTS = {
    "defaults": ("harness defaults (no mod_reqtimeout, Timeout 60)", [], "", {}),
    "reqtimeout": ("+ mod_reqtimeout, Debian's reqtimeout.conf", ["reqtimeout"], REQTIMEOUT_CONF, {}),
    # More workers than attacker connections: what httpd needs against slowloris. Shows that
    # SwiftJK adds no limit of its own (its pools grow with the threads that use them).
    "sized": ("+ mod_reqtimeout and StartServers = ServerLimit 24 × ThreadsPerChild 64 = MaxRequestWorkers 1536 "
              "(more workers than slowloris connections, all started before the attack)", ["reqtimeout"], REQTIMEOUT_CONF,
              {"StartServers": 24, "ServerLimit": 24, "ThreadsPerChild": 64, "MaxRequestWorkers": 1536,
               "MaxSpareThreads": 1536}),
}


def max_request_workers(variant):
    return VARIANTS[variant][3].get("MaxRequestWorkers", MPM_DEFAULTS["event"]["MaxRequestWorkers"])
ATTACKS = ("slowloris", "oversized", "header-flood", "aborted-uploads", "non-readers")

# Writes `size` bytes (default 100 MiB) from one 64 KiB buffer: a big response without a big
# heap (big.jsp builds its whole body in memory). No template text: the OutputStream is used.
STREAM_JSP = """<%@ page session="false" trimDirectiveWhitespaces="true" import="java.io.OutputStream" %>
<%-- ?size=N bytes (default 100 MiB) of 'a'..'z', Content-Length set, written 64 KiB at a time. --%>
<%
    String s = request.getParameter("size");
    long size = (s == null) ? 104857600L : Long.parseLong(s);
    byte[] buf = new byte[65536];
    for (int i = 0; i < buf.length; i++) buf[i] = (byte) ('a' + i % 26);
    response.setContentType("application/octet-stream");
    response.setContentLengthLong(size);
    OutputStream os = response.getOutputStream();
    long left = size;
    while (left > 0) {
        int n = (int) Math.min(left, (long) buf.length);
        os.write(buf, 0, n);
        left -= n;
    }
    os.flush();
%>"""


def say(text=""):
    print(text, flush=True)


def load_text():
    one, five, fifteen = os.getloadavg()
    return "load average %.2f, %.2f, %.2f" % (one, five, fifteen)


def raise_nofile(wanted=16384):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def pct(values, q):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def ms(value):
    return "—" if value is None else ("%.1f ms" % (value * 1000) if value < 10 else "%.1f s" % value)


# ---------------------------------------------------------------- observation

def ajp_states(ajp_port):
    """TCP states of the sockets to 127.0.0.1:ajp_port (httpd's side), e.g. {'ESTAB': 3}."""
    return _states("dst", "127.0.0.1:%d" % ajp_port)


def _states(selector, address):
    out = subprocess.run(["ss", "-Htan", selector, address], stdout=subprocess.PIPE, timeout=10).stdout.decode()
    return dict(collections.Counter(line.split()[0] for line in out.splitlines() if line.strip()))


def client_conns(http_port):
    """httpd's connections from clients still open (any state but LISTEN and TIME-WAIT)."""
    states = _states("src", "127.0.0.1:%d" % http_port)
    return sum(n for state, n in states.items() if state not in ("LISTEN", "TIME-WAIT"))


def snapshot(httpd, ajp_port):
    """Per child (fds, AJP sockets), their sums, and the AJP connections by state."""
    children = {}
    for pid in httpd.children():
        try:
            fds = Httpd.fd_count(pid)
            ajp = Httpd.tcp_peer_ports(pid).get(ajp_port, 0)
        except OSError:
            continue
        children[pid] = (fds, ajp)
    states = ajp_states(ajp_port)
    return {"children": children, "fds": sum(v[0] for v in children.values()),
            "child_ajp": sum(v[1] for v in children.values()),
            "ajp": states.get("ESTAB", 0), "ajp_close_wait": states.get("CLOSE-WAIT", 0),
            "clients": client_conns(httpd.port), "t": time.monotonic()}


def settle(httpd, ajp_port, limit=90.0):
    """Snapshots every second until httpd holds no client connection any more and three in a row
    agree (children, fds, AJP), at most `limit` s (httpd's Timeout is 60 s). The last snapshot gets
    "trail" (the summed descriptors of each snapshot) and "settle_s"."""
    t0 = time.monotonic()
    deadline = t0 + limit
    previous, stable, trail = None, 0, []
    snap = snapshot(httpd, ajp_port)
    while True:
        trail.append(snap["fds"])
        key = (tuple(sorted(snap["children"].items())), snap["ajp"], snap["ajp_close_wait"])
        stable = stable + 1 if key == previous and not snap["clients"] else 0
        if stable >= 2 or time.monotonic() >= deadline:
            break
        previous = key
        time.sleep(1.0)
        snap = snapshot(httpd, ajp_port)
    snap["trail"] = trail
    snap["settle_s"] = time.monotonic() - t0
    return snap


class Monitor(threading.Thread):
    """Every second during an attack: children seen, peak fds, peak AJP connections."""

    def __init__(self, httpd, ajp_port):
        super().__init__(daemon=True)
        self.httpd, self.ajp_port = httpd, ajp_port
        self.stop_event = threading.Event()
        self.pids = set()
        self.peak = {"children": 0, "fds": 0, "ajp": 0, "ajp_close_wait": 0}

    def run(self):
        for _ in range(3600):
            if self.stop_event.is_set():
                return
            try:
                snap = snapshot(self.httpd, self.ajp_port)
            except (OSError, subprocess.SubprocessError):
                snap = None
            if snap:
                self.pids |= set(snap["children"])
                self.peak["children"] = max(self.peak["children"], len(snap["children"]))
                for key in ("fds", "ajp", "ajp_close_wait"):
                    self.peak[key] = max(self.peak[key], snap[key])
            self.stop_event.wait(1.0)


# ---------------------------------------------------------------- the legitimate client

class Legit(threading.Thread):
    """GET /hello.jsp at `rate` per second on a keep-alive connection; every `fresh_every`-th
    request on a new one. Samples: (start, seconds, outcome, fresh)."""

    def __init__(self, port, rate, fresh_every=10, limit=100000):
        super().__init__(daemon=True)
        self.port, self.rate, self.fresh_every, self.limit = port, rate, fresh_every, limit
        self.stop_event = threading.Event()
        self.samples = []

    def run(self):
        keep = KeepAlive(self.port, timeout=LEGIT_TIMEOUT)
        next_at = time.monotonic()
        try:
            for i in range(1, self.limit + 1):
                if self.stop_event.is_set():
                    break
                fresh = bool(self.fresh_every) and i % self.fresh_every == 0
                client = KeepAlive(self.port, timeout=LEGIT_TIMEOUT) if fresh else keep
                t0 = time.monotonic()
                outcome = outcome_of(client, "GET", "/hello.jsp")
                self.samples.append((t0, time.monotonic() - t0, outcome, fresh))
                if fresh:
                    client.close()
                next_at = max(next_at + 1.0 / self.rate, time.monotonic() - 1.0 / self.rate)
                self.stop_event.wait(max(0.0, next_at - time.monotonic()))
        finally:
            keep.close()

    def summary(self, t_from=None, t_to=None):
        rows = [s for s in self.samples if (t_from is None or s[0] >= t_from) and (t_to is None or s[0] <= t_to)]
        ok = [s[1] for s in rows if s[2] == 200]
        errors = collections.Counter(str(s[2]) for s in rows if s[2] != 200)
        fresh_ok = [s[1] for s in rows if s[2] == 200 and s[3]]
        return {"requests": len(rows), "ok": len(ok), "p50": pct(ok, 0.50), "p99": pct(ok, 0.99),
                "max": max(ok) if ok else None, "errors": dict(errors),
                "fresh": sum(1 for s in rows if s[3]), "fresh_ok": len(fresh_ok), "fresh_p50": pct(fresh_ok, 0.5)}


# ---------------------------------------------------------------- the attacks

def attack_slowloris(port, stop_at, conns=1000, interval=2.0, max_connects=20000):
    """`conns` non-blocking connections, each sending the next byte of an endless request every
    `interval` s; a connection httpd closes is reopened (at most `max_connects` connects)."""
    payload = (b"GET /hello.jsp?slowloris HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\n" +
               b"".join(b"X-Slow-%d: b\r\n" % i for i in range(2000)))
    sel = selectors.DefaultSelector()
    stats = collections.Counter()
    rng = random.Random(1)
    live = {}

    def open_one():
        if stats["connects"] >= max_connects:
            return
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        stats["connects"] += 1
        rc = s.connect_ex(("127.0.0.1", port))
        if rc not in (0, errno.EINPROGRESS):
            stats["connect failed"] += 1
            s.close()
            return
        state = {"sent": 0, "next": time.monotonic() + rng.uniform(0, interval), "up": False,
                 "opened": time.monotonic()}
        live[s] = state
        sel.register(s, selectors.EVENT_WRITE, state)

    def drop(s, why):
        stats[why] += 1
        try:
            sel.unregister(s)
        except (KeyError, ValueError):
            pass
        live.pop(s, None)
        s.close()
        if time.monotonic() < stop_at:
            open_one()

    for _ in range(conns):
        open_one()
    max_up = 0
    while time.monotonic() < stop_at:
        for key, _ in sel.select(timeout=0.1):
            s, state = key.fileobj, key.data
            if not state["up"]:
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    drop(s, "connect failed")
                    continue
                state["up"] = True
                stats["established"] += 1
                try:
                    state["sent"] = s.send(payload[:10])
                except OSError:
                    drop(s, "reset by httpd")
                    continue
                sel.modify(s, selectors.EVENT_READ, state)
                continue
            try:
                data = s.recv(4096)
            except OSError:
                drop(s, "reset by httpd")
                continue
            if data:
                status = data.split(b" ", 2)[1].decode(errors="replace") if data.startswith(b"HTTP/") else "?"
                stats["answered %s" % status] += 1
            drop(s, "closed by httpd")
        now = time.monotonic()
        up = 0
        for s, state in list(live.items()):
            if not state["up"]:
                continue
            up += 1
            if state["next"] <= now and state["sent"] < len(payload):
                try:
                    state["sent"] += s.send(payload[state["sent"]:state["sent"] + 1])
                    stats["bytes sent"] += 1
                except BlockingIOError:
                    pass
                except OSError:
                    drop(s, "reset by httpd")
                    continue
                state["next"] += interval
        max_up = max(max_up, up)
    pending = sum(1 for st in live.values() if not st["up"])
    established_end = sum(1 for st in live.values() if st["up"])
    for s in list(live):
        s.close()
    sel.close()
    parts = ["%d connects, up to %d established at once, %d established at the end, %d still in SYN/backlog"
             % (stats["connects"], max_up, established_end, pending)]
    closed = stats["closed by httpd"] + stats["reset by httpd"]
    parts.append("%d closed by httpd%s" % (closed, "".join(
        ", %d× %s" % (n, k) for k, n in sorted(stats.items()) if k.startswith("answered"))))
    if stats["connect failed"]:
        parts.append("%d connects failed" % stats["connect failed"])
    return "; ".join(parts), dict(stats)


def _status_of(sock, timeout=10.0):
    sock.settimeout(timeout)
    buf = b""
    try:
        while b"\r\n" not in buf and len(buf) < 65536:
            chunk = sock.recv(65536)
            if not chunk:
                break
            buf += chunk
    except socket.timeout:
        return "timeout"
    except OSError:
        return "reset" if not buf else _parse_status(buf)
    return _parse_status(buf) if buf else "closed"


def _parse_status(buf):
    parts = buf.split(b" ", 2)
    return parts[1].decode(errors="replace") if buf.startswith(b"HTTP/") and len(parts) > 1 else "garbage"


def _get(path, headers=()):
    lines = ["GET %s HTTP/1.1" % path, "Host: 127.0.0.1"] + ["%s: %s" % h for h in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


OVERSIZED = [
    ("100 KB URI", _get("/hello.jsp?q=" + "u" * 100000)),
    ("64 KB header", _get("/hello.jsp", [("X-Big", "h" * 65536)])),
    ("10,000 headers", _get("/hello.jsp", [("X-H-%d" % i, "v") for i in range(10000)])),
    ("8 KB URI (within httpd's limit)", _get("/hello.jsp?q=" + "u" * 8100)),
    ("12 × 7 KB headers (within httpd's limits)", _get("/hello.jsp", [("X-Big-%d" % i, "h" * 7000) for i in range(12)])),
]


def _run_threads(count, target):
    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    return threads


def _join(threads, stop_at, extra=30.0):
    for t in threads:
        t.join(max(0.1, stop_at - time.monotonic() + extra))


def _counts_text(counts):
    lines = []
    for case in dict.fromkeys(c for c, _ in counts):
        outcomes = ", ".join("%d× %s" % (n, o) for (c, o), n in sorted(counts.items(), key=lambda kv: -kv[1]) if c == case)
        lines.append("%s → %s" % (case, outcomes))
    return "; ".join(lines)


def attack_oversized(port, stop_at, threads=3, limit=1000000):
    counts = collections.Counter()
    lock = threading.Lock()
    done = [0]

    def worker(index):
        i = index
        while time.monotonic() < stop_at:
            with lock:
                if done[0] >= limit:
                    return
                done[0] += 1
            name, data = OVERSIZED[i % len(OVERSIZED)]
            i += 1
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                    try:
                        s.sendall(data)
                    except OSError:
                        pass     # httpd may answer and close before it has read everything
                    outcome = _status_of(s)
            except OSError as e:
                outcome = "connect: %s" % type(e).__name__
            with lock:
                counts[(name, outcome)] += 1

    _join(_run_threads(threads, worker), stop_at)
    return "%d requests: %s" % (sum(counts.values()), _counts_text(counts)), {"%s|%s" % k: v for k, v in counts.items()}


FLOODS = [
    ("95 small headers", [("X-Flood-%02d" % i, "value-%02d-abcdefgh" % i) for i in range(95)]),
    ("95 small headers", [("X-Flood-%02d" % i, "value-%02d-abcdefgh" % i) for i in range(95)]),
    ("95 small headers", [("X-Flood-%02d" % i, "value-%02d-abcdefgh" % i) for i in range(95)]),
    ("99 headers of ~100 B (over 8 KiB)", [("X-Flood-%02d" % i, "w" * 90) for i in range(99)]),
]


def attack_header_flood(port, stop_at, threads=4, limit=1000000):
    counts = collections.Counter()
    lock = threading.Lock()
    done = [0]

    def worker(index):
        client = KeepAlive(port, timeout=10)
        i = index
        try:
            while time.monotonic() < stop_at:
                with lock:
                    if done[0] >= limit:
                        return
                    done[0] += 1
                name, headers = FLOODS[i % len(FLOODS)]
                i += 1
                outcome = outcome_of(client, "GET", "/hello.jsp", headers)
                with lock:
                    counts[(name, str(outcome))] += 1
        finally:
            client.close()

    _join(_run_threads(threads, worker), stop_at)
    return "%d requests: %s" % (sum(counts.values()), _counts_text(counts)), {"%s|%s" % k: v for k, v in counts.items()}


def attack_aborted_uploads(port, stop_at, threads=3, limit=5000):
    stats = collections.Counter()
    lock = threading.Lock()
    piece = os.urandom(65536)
    chunk = b"%x\r\n" % len(piece) + piece + b"\r\n"

    def worker(index):
        rng = random.Random(index)
        n = index
        while time.monotonic() < stop_at:
            with lock:
                if stats["uploads"] >= limit:
                    return
                stats["uploads"] += 1
            n += threads
            chunked = n % 4 != 3
            head = ("POST /post.jsp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n%s\r\n"
                    % ("Transfer-Encoding: chunked\r\n" if chunked else "Content-Length: %d\r\n" % (100 * MIB))).encode()
            target = rng.randint(1, 16) * MIB
            sent = 0
            how = "reset" if n % 2 == 0 else "close"
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=10)
            except OSError:
                with lock:
                    stats["connect failed"] += 1
                continue
            try:
                s.sendall(head)
                while sent < target and time.monotonic() < stop_at:
                    s.sendall(chunk if chunked else piece)
                    sent += len(piece)
                s.setblocking(False)
                try:
                    early = s.recv(4096)
                except BlockingIOError:
                    early = None
                if early:
                    with lock:
                        stats["answered before the abort: %s" % _parse_status(early)] += 1
                if how == "reset":
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                with lock:
                    stats["aborted (%s)" % ("RST" if how == "reset" else "FIN")] += 1
            except OSError as e:
                with lock:
                    stats["send failed: %s" % type(e).__name__] += 1
            finally:
                with lock:
                    stats["MiB sent"] += sent // MIB
                s.close()

    _join(_run_threads(threads, worker), stop_at)
    text = "%d uploads (100 MiB announced, 1-16 MiB sent, %d MiB in all): %s" % (
        stats["uploads"], stats["MiB sent"],
        ", ".join("%d× %s" % (v, k) for k, v in sorted(stats.items()) if k not in ("uploads", "MiB sent")))
    return text, dict(stats)


def attack_non_readers(port, stop_at, ajp_port, clients=32, size=100 * MIB):
    socks = []
    stats = collections.Counter()
    for _ in range(clients):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(10)
        try:
            s.connect(("127.0.0.1", port))
            s.sendall(b"GET /stream.jsp?size=%d HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % size)
            socks.append(s)
        except OSError:
            stats["connect failed"] += 1
            s.close()
    busy = 0
    held_from = time.monotonic()
    time.sleep(min(3.0, max(0.0, stop_at - time.monotonic())))
    client_queue, httpd_queue = _queues(port)
    while time.monotonic() < stop_at:
        busy = max(busy, ajp_states(ajp_port).get("ESTAB", 0))
        time.sleep(min(1.0, max(0.0, stop_at - time.monotonic())))
    for i, s in enumerate(socks):
        if i % 2 == 0:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    text = ("%d clients asked for 100 MiB and read nothing for %.0f s (after 3 s: %.0f KiB in their receive "
            "queues, %.1f MiB in httpd's send queues; AJP connections up to %d), then %d reset + %d closed"
            % (len(socks), time.monotonic() - held_from, client_queue / 1024, httpd_queue / MIB, busy,
               (len(socks) + 1) // 2, len(socks) // 2))
    if stats["connect failed"]:
        text += "; %d connects failed" % stats["connect failed"]
    return text, {"clients": len(socks), "client_queue": client_queue, "httpd_queue": httpd_queue, "ajp_peak": busy}


def _queues(http_port):
    """(bytes in the receive queues of the clients' sockets to httpd, bytes in the send queues of
    httpd's sockets to them): a response stuck between httpd and a client that does not read."""
    def total(selector, column):
        out = subprocess.run(["ss", "-Htn", "state", "established", selector, "127.0.0.1:%d" % http_port],
                             stdout=subprocess.PIPE, timeout=10).stdout.decode()
        return sum(int(line.split()[column]) for line in out.splitlines()
                   if len(line.split()) > column and line.split()[column].isdigit())
    return total("dst", 0), total("src", 1)


# ---------------------------------------------------------------- one variant

def log_notes(httpd, err_since, jk_since):
    """Crash lines, error.log AH codes and jk.log levels written since the offsets."""
    err = httpd.error_log(err_since)
    jk = httpd.jk_log(jk_since)
    crashes = [line for line in err.splitlines() if CRASH.search(line)]
    codes = collections.Counter(re.findall(r"\] (AH\d{5}):", err))
    levels = collections.Counter(re.findall(r"\] \[(trace\d?|debug|info|warn|error|emerg)\] ", jk))
    jk_errors = [line for line in jk.splitlines() if "[error]" in line]
    return {"crashes": crashes, "ah_codes": dict(codes.most_common(6)), "jk_levels": dict(levels),
            "jk_error_sample": jk_errors[:3], "jk_bytes": httpd.log_size("jk.log") - jk_since,
            "error_bytes": httpd.log_size("error.log") - err_since}


def run_attack(name, httpd, tomcat, args):
    ajp_port = tomcat.ajp_port
    before = settle(httpd, ajp_port)
    err_since, jk_since = httpd.log_size("error.log"), httpd.log_size("jk.log")
    monitor = Monitor(httpd, ajp_port)
    monitor.pids |= set(before["children"])
    monitor.start()
    legit = Legit(httpd.port, args.legit_rate)
    legit.start()
    time.sleep(2.0)
    t_attack = time.monotonic()
    stop_at = t_attack + args.seconds
    load_at_start = os.getloadavg()[0]
    if name == "slowloris":
        outcome, raw = attack_slowloris(httpd.port, stop_at, conns=args.slowloris)
    elif name == "oversized":
        outcome, raw = attack_oversized(httpd.port, stop_at)
    elif name == "header-flood":
        outcome, raw = attack_header_flood(httpd.port, stop_at)
    elif name == "aborted-uploads":
        outcome, raw = attack_aborted_uploads(httpd.port, stop_at)
    elif name == "non-readers":
        outcome, raw = attack_non_readers(httpd.port, stop_at, ajp_port, clients=args.non_readers)
    else:
        raise ValueError(name)
    t_end = time.monotonic()
    legit.stop_event.set()
    legit.join(LEGIT_TIMEOUT + 5)
    monitor.stop_event.set()
    monitor.join(5)
    after = settle(httpd, ajp_port)
    notes = log_notes(httpd, err_since, jk_since)
    access_log = httpd.root / "logs" / "access.log"
    if access_log.exists():      # the oversized attack logs ~1 GB of request lines; httpd appends (O_APPEND)
        os.truncate(access_log, 0)
    vanished = sorted(monitor.pids - set(after["children"]) - {p for p in monitor.pids if procs.alive(p)})
    crashed = [pid for pid in vanished if any(str(pid) in line for line in notes["crashes"])]
    return {"attack": name, "outcome": outcome, "raw": raw, "legit": legit.summary(t_attack, t_end),
            "before": before, "after": after, "peak": monitor.peak, "children_seen": sorted(monitor.pids),
            "vanished": vanished, "crashed": crashed, "notes": notes, "load1": load_at_start,
            "seconds": t_end - t_attack}


def quiet(httpd, args):
    legit = Legit(httpd.port, args.legit_rate)
    legit.start()
    time.sleep(args.seconds)
    legit.stop_event.set()
    legit.join(LEGIT_TIMEOUT + 5)
    return legit.summary()


def make_httpd(module, tomcat, variant):
    _, modules, conf, mpm_settings = VARIANTS[variant]
    workers = "\n".join([
        "worker.list=worker1",
        "worker.worker1.type=lb",
        "worker.worker1.balance_workers=tc1",
        "worker.worker1.sticky_session=1",
        "worker.tc1.type=ajp13", "worker.tc1.host=127.0.0.1", "worker.tc1.port=%d" % tomcat.ajp_port,
        "worker.tc1.lbfactor=1", "worker.tc1.secret=%s" % SECRET]) + "\n"
    return Httpd(module, mpm="event", workers_properties=workers, jk_directives="JkMount /*.jsp worker1",
                 modules=modules, extra_conf=conf, mpm_settings=mpm_settings, name="httpd-" + variant)


# ---------------------------------------------------------------- report

def errors_text(summary):
    failed = summary["requests"] - summary["ok"]
    if not failed:
        return "0 of %d" % summary["requests"]
    return "%d of %d (%s)" % (failed, summary["requests"], ", ".join(
        "%d× %s" % (n, k) for k, n in sorted(summary["errors"].items(), key=lambda kv: -kv[1])))


def fds_text(row):
    b, a = row["before"], row["after"]
    return "%d→%d (non-AJP %d→%d; %d→%d children)" % (
        b["fds"], a["fds"], b["fds"] - b["child_ajp"], a["fds"] - a["child_ajp"], len(b["children"]), len(a["children"]))


def deaths_text(row):
    crashes = row["notes"]["crashes"]
    if crashes or row["crashed"]:
        return "**%d crash line(s)**" % len(crashes)
    if row["vanished"]:
        return "0 (%d stopped by httpd's idle maintenance, no exit signal)" % len(row["vanished"])
    return "0"


def leak_findings(rows):
    """Children present before and after whose non-AJP descriptors grew, and CLOSE-WAIT AJP sockets."""
    findings = []
    for variant, row in rows:
        b, a = row["before"]["children"], row["after"]["children"]
        for pid in sorted(set(b) & set(a)):
            grown = (a[pid][0] - a[pid][1]) - (b[pid][0] - b[pid][1])
            if grown > 2:
                findings.append("%s / %s: child %d has %d more non-AJP descriptors after the attack" % (
                    variant, row["attack"], pid, grown))
        if row["after"]["ajp_close_wait"]:
            findings.append("%s / %s: %d AJP sockets in CLOSE-WAIT after the attack" % (
                variant, row["attack"], row["after"]["ajp_close_wait"]))
    return findings


def report(results, args, context):
    lines = ["Tomcat 10.1 behind httpd 2.4 (event MPM, harness defaults: StartServers 2 × ThreadsPerChild 25, "
             "MaxRequestWorkers 150, KeepAliveTimeout 5, Timeout 60) and SwiftJK (lb worker1 over the Tomcat, secret). "
             "Each attack runs %d s while a legitimate client sends GET /hello.jsp at %g/s (keep-alive, every 10th "
             "request on a new connection, %d s timeout); its p50/p99 are over the answered requests, next to the same "
             "client on the quiet server. fds = descriptors summed over httpd's children, before → after (after = once "
             "httpd holds no client connection and children, descriptors and AJP connections are steady for 3 s, at "
             "most 90 s); non-AJP = without the pooled AJP sockets. AJP = established connections to the Tomcat's AJP "
             "port (peak during the attack in brackets)."
             % (args.seconds, args.legit_rate, LEGIT_TIMEOUT), "",
             "Machine: %s; %s at the start, %s at the end." % (context["machine"], context["load_start"], context["load_end"]),
             ""]
    lines += ["| Attack | Legit p50 | p99 | Quiet p50 / p99 | Legit errors | Attack outcome | fds before→after | "
              "AJP conns before→after | Child deaths |",
              "|---|---:|---:|---:|---|---|---|---|---|"]
    for variant, data in results.items():
        q = data["quiet"]
        for row in data["rows"]:
            lg = row["legit"]
            lines.append("| %s (%s) | %s | %s | %s / %s | %s | %s | %s | %d→%d (%d) | %s |" % (
                row["attack"], variant, ms(lg["p50"]), ms(lg["p99"]), ms(q["p50"]), ms(q["p99"]), errors_text(lg),
                row["outcome"].replace("|", "/"), fds_text(row), row["before"]["ajp"], row["after"]["ajp"],
                row["peak"]["ajp"], deaths_text(row)))
    lines.append("")
    lines.append("Variants: " + "; ".join("`%s` = %s" % (v, VARIANTS[v][0]) for v in results) + ".")
    lines.append("")
    lines.append("Details per attack (httpd's error.log AH codes, jk.log lines by level and growth, peak children; the access log is emptied after each attack):")
    lines.append("")
    for variant, data in results.items():
        q = data["quiet"]
        lines.append("- `%s`, quiet: %d requests, p50 %s, p99 %s, max %s, errors %s." % (
            variant, q["requests"], ms(q["p50"]), ms(q["p99"]), ms(q["max"]), errors_text(q)))
        for row in data["rows"]:
            n = row["notes"]
            lg = row["legit"]
            trail = row["after"]["trail"]
            lines.append("- `%s`, %s (load %.1f): legit max %s, new-connection requests %d/%d answered (p50 %s); "
                         "children peak %d, fds peak %d; after the attack %s in %.0f s%s; error.log %s; jk.log %s%s%s" % (
                             variant, row["attack"], row["load1"], ms(lg["max"]), lg["fresh_ok"], lg["fresh"],
                             ms(lg["fresh_p50"]), row["peak"]["children"], row["peak"]["fds"],
                             "settled" if not row["after"]["clients"] else
                             "NOT settled (%d client connections left)" % row["after"]["clients"],
                             row["after"]["settle_s"],
                             " (fds up to %d meanwhile)" % max(trail) if max(trail) > trail[-1] + 2 else "",
                             (", ".join("%s×%d" % kv for kv in n["ah_codes"].items()) or "nothing") +
                             " (+%.1f MiB)" % (n["error_bytes"] / MIB),
                             (", ".join("%s×%d" % kv for kv in n["jk_levels"].items()) or "nothing") +
                             " (+%.1f MiB)" % (n["jk_bytes"] / MIB),
                             ("; first jk error: `%s`" % n["jk_error_sample"][0][:220]) if n["jk_error_sample"] else "",
                             ("; CRASH: `%s`" % n["crashes"][0][:300]) if n["crashes"] else ""))
    all_rows = [(v, r) for v, d in results.items() for r in d["rows"]]
    reading = []
    starved = [(v, r) for v, r in all_rows if r["attack"] == "slowloris" and r["legit"]["ok"] < r["legit"]["requests"]]
    if starved:
        reading.append("slowloris starves the legitimate client in %s: each slowloris connection holds one of httpd's "
                       "worker threads while it reads the request (AH00484, MaxRequestWorkers reached), so no request "
                       "reaches any module; mod_reqtimeout closes them after 20 s (AH01382) but the attacker reconnects "
                       "faster than the workers free up. That is httpd's limit, not SwiftJK's: a real deployment facing "
                       "this needs far more MaxRequestWorkers than attacker connections, or a limit per client address "
                       "in front of httpd." % " and ".join("`%s` (MaxRequestWorkers %d)" % (v, max_request_workers(v))
                                                           for v, _ in starved))
    survived = [(v, r) for v, r in all_rows if r["attack"] == "slowloris" and r["legit"]["requests"]
                and r["legit"]["ok"] == r["legit"]["requests"]]
    if survived:
        reading.append("With more worker threads than attacker connections (%s) the legitimate client is served "
                       "throughout slowloris (p50 %s, p99 %s, %s): SwiftJK adds no limit of its own." % (
                           " and ".join("`%s`" % v for v, _ in survived),
                           "/".join(ms(r["legit"]["p50"]) for _, r in survived),
                           "/".join(ms(r["legit"]["p99"]) for _, r in survived),
                           "; ".join(errors_text(r["legit"]) + " failed" for _, r in survived)))
    lingering = [(v, r) for v, r in all_rows if r["after"]["settle_s"] > 10]
    if lingering:
        reading.append("After %s the children needed %s s to settle: connections the kernel had left half-open "
                       "(SYN-RECV, the accept queue was full) complete when the attacker's FIN arrives, are accepted, "
                       "and hold workers until the FIN is retransmitted; then the surplus children exit." % (
                           " and ".join("%s (`%s`)" % (r["attack"], v) for v, r in lingering),
                           "/".join("%.0f" % r["after"]["settle_s"] for _, r in lingering)))
    over = [r for _, r in all_rows if r["attack"] in ("oversized", "header-flood") and r["notes"]["jk_levels"].get("error")]
    if over:
        reading.append("Requests inside httpd's limits but larger than the 8 KiB AJP packet are refused by SwiftJK "
                       "with 413 and one jk.log [error] line each (up to %.0f MiB of jk.log in %d s here): the log "
                       "grows at the attacker's pace." % (max(r["notes"]["jk_bytes"] for r in over) / MIB, args.seconds))
    if reading:
        lines.append("")
        lines.append("Reading: " + " ".join(reading))
    crashes = [(v, r) for v, r in all_rows if r["notes"]["crashes"] or r["crashed"]]
    leaks = leak_findings(all_rows)
    lines.append("")
    lines.append("Crashes: %s" % ("none (no \"exit signal\", \"Segmentation\" or \"Fatal error\" in error.log; every "
                                  "vanished child left without one)" if not crashes else
                                  "; ".join("%s / %s: %s" % (v, r["attack"], r["notes"]["crashes"][:2]) for v, r in crashes)))
    lines.append("Leaks: %s" % ("none (no surviving child gained more than 2 non-AJP descriptors; no AJP socket left in "
                                "CLOSE-WAIT)" if not leaks else "; ".join(leaks)))
    return "\n".join(lines)


MARK = "<!-- section written by bench/hostile.py (make hostile) -->"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", default=str(ROOT / "mod_swiftjk.so"))
    parser.add_argument("--seconds", type=int, default=30, help="length of each attack and of the quiet run")
    parser.add_argument("--legit-rate", type=float, default=10.0, help="legitimate requests per second")
    parser.add_argument("--slowloris", type=int, default=1000, help="slowloris connections")
    parser.add_argument("--non-readers", type=int, default=32, help="clients that never read")
    parser.add_argument("--attacks", default=",".join(ATTACKS), help="comma-separated subset of: " + ", ".join(ATTACKS))
    parser.add_argument("--variants", default="defaults,reqtimeout,sized", help="comma-separated: defaults, reqtimeout, sized")
    parser.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    args = parser.parse_args()
    attacks = [a for a in args.attacks.split(",") if a]
    variants = [v for v in args.variants.split(",") if v]
    for a in attacks:
        if a not in ATTACKS:
            sys.exit("hostile: unknown attack %r" % a)
    for v in variants:
        if v not in VARIANTS:
            sys.exit("hostile: unknown variant %r" % v)
    if not os.path.isfile(args.module):
        sys.exit("hostile: %s is missing" % args.module)
    if os.geteuid() != 0:
        sys.exit("hostile: run as root (httpd starts as root and switches to www-data)")
    if args.seconds < 5 or args.seconds > 300:
        sys.exit("hostile: --seconds must be between 5 and 300")
    nofile = raise_nofile(max(4096, args.slowloris * 2 + 1024))
    os.umask(0o022)
    procs.become_subreaper()
    context = {"machine": "%d cores" % os.cpu_count(), "load_start": load_text(),
               "uptime_start": subprocess.run(["uptime"], stdout=subprocess.PIPE, text=True).stdout.strip()}
    say("hostile: %s; RLIMIT_NOFILE %d; module %s" % (context["uptime_start"], nofile, args.module))
    fixtures = []
    results = {}
    started = time.monotonic()
    try:
        webapp = rundir.run_dir() / "webapp"
        shutil.copytree(WEBAPP_DIR, webapp, copy_function=shutil.copy2)
        (webapp / "stream.jsp").write_text(STREAM_JSP)
        rundir.make_dirs(webapp)
        for path in webapp.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        tomcat = Tomcat("hostile", "tc1", secret=SECRET, fast_jvm=False, heap=("128m", "512m"), webapp=webapp)
        fixtures.append(tomcat)
        say("hostile: starting Tomcat ...")
        tomcat.start_ready(90)
        for variant in variants:
            httpd = make_httpd(args.module, tomcat, variant)
            rc, out = httpd.configtest()
            if rc != 0:
                sys.exit("hostile: apache2 -t failed:\n%s" % out)
            httpd.start()
            fixtures.append(httpd)
            for _ in range(50):                 # warm: JSP, pool, JIT
                outcome_of(KeepAlive(httpd.port, 10), "GET", "/hello.jsp")
            say("hostile: [%s] quiet run, %d s" % (variant, args.seconds))
            results[variant] = {"quiet": quiet(httpd, args), "rows": []}
            q = results[variant]["quiet"]
            say("  quiet: %d requests, p50 %s, p99 %s, errors %s" % (q["requests"], ms(q["p50"]), ms(q["p99"]), errors_text(q)))
            for attack in attacks:
                say("hostile: [%s] %s, %d s (%s)" % (variant, attack, args.seconds, load_text()))
                row = run_attack(attack, httpd, tomcat, args)
                results[variant]["rows"].append(row)
                lg = row["legit"]
                say("  legit p50 %s p99 %s errors %s" % (ms(lg["p50"]), ms(lg["p99"]), errors_text(lg)))
                say("  attack: %s" % row["outcome"])
                say("  fds %s (settling: %s); AJP %d→%d (peak %d, close-wait after %d); deaths: %s" % (
                    fds_text(row), row["after"]["trail"], row["before"]["ajp"], row["after"]["ajp"], row["peak"]["ajp"],
                    row["after"]["ajp_close_wait"], deaths_text(row)))
                if not tomcat.running():
                    sys.exit("hostile: Tomcat died during %s:\n%s" % (attack, tomcat.log_tail()))
                if not httpd.running():
                    sys.exit("hostile: httpd died during %s:\n%s" % (attack, httpd.error_log_tail()))
            httpd.stop()
            fixtures.remove(httpd)
        context["load_end"] = load_text()
        markdown = report(results, args, context)
        say()
        say(markdown)
        say()
        say("hostile: %.1f min" % ((time.monotonic() - started) / 60))
        out_dir = ROOT / "bench" / "results"
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "hostile.md").write_text("# Hostile clients\n\n" + markdown + "\n")
        if not args.no_write and attacks == list(ATTACKS) and args.seconds >= 20:
            write_section(MARK, "## Hostile clients (`make hostile`, about %d minutes)\n\n" % round(
                (time.monotonic() - started) / 60) + markdown)
            say("hostile: wrote bench/results/hostile.md and the Hostile clients section of BENCHMARKS.md")
        else:
            say("hostile: wrote bench/results/hostile.md (BENCHMARKS.md kept: partial or --no-write)")
    finally:
        for fixture in reversed(fixtures):
            try:
                fixture.stop()
            except Exception as error:
                say("hostile: stopping %s: %s" % (fixture, error))
        procs.cleanup_all()


if __name__ == "__main__":
    main()
