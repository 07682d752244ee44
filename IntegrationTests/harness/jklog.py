"""Reading the jk log line by line: the mod_jk prefix, the message, and waiting for new lines.

A jk-log line is `<stamp>[pid:tid] [level] message` (mod_jk 1.2.48's layout, docs/modjk-behaviour.md
§7). The stamp is JkLogStampFormat; mod_jk's default where gettimeofday exists is
`[%a %b %d %H:%M:%S.%Q %Y] ` (DEFAULT_STAMP_RE). The harness's httpd.conf sets
`[%a %b %d %H:%M:%S %Y] ` (HARNESS_STAMP_RE); DefaultStampHttpd leaves the directive out so the
module's own default applies.
"""

import re
import time

from .httpd import Httpd

DAYS = "Mon|Tue|Wed|Thu|Fri|Sat|Sun"
MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
LEVELS = ("trace", "debug", "info", "warn", "error", "emerg", "request")
_TIME = r"(?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)"
_DAY = r"(?:0[1-9]|[12]\d|3[01])"

# strftime's %a %b %d %H:%M:%S, mod_jk's %Q (3-digit milliseconds), %Y.
DEFAULT_STAMP_RE = r"\[(?:%s) (?:%s) %s %s\.\d{3} \d{4}\] " % (DAYS, MONTHS, _DAY, _TIME)
HARNESS_STAMP_RE = r"\[(?:%s) (?:%s) %s %s \d{4}\] " % (DAYS, MONTHS, _DAY, _TIME)
# The parts after the stamp: `[pid:tid] [level] `.
PID_LEVEL_RE = r"\[(?P<pid>\d+):(?P<tid>\d+)\] \[(?P<level>%s)\] " % "|".join(LEVELS)


def prefix_re(stamp_re=HARNESS_STAMP_RE):
    """Compiled regex of a whole line: stamp, [pid:tid], [level], then the message (group 'msg')."""
    return re.compile(r"^(?P<stamp>%s)%s(?P<msg>.*)$" % (stamp_re, PID_LEVEL_RE))


class Line:
    __slots__ = ("raw", "stamp", "pid", "tid", "level", "msg")

    def __init__(self, raw, m):
        self.raw = raw
        self.stamp = m.group("stamp")
        self.pid = int(m.group("pid"))
        self.tid = int(m.group("tid"))
        self.level = m.group("level")
        self.msg = m.group("msg")

    def __repr__(self):
        return "[%s] %s" % (self.level, self.msg)


def parse(text, stamp_re=HARNESS_STAMP_RE):
    """(lines, bad): Line objects for every line that has the prefix, and the raw lines that do
    not. `text` must be whole lines (a trailing partial line counts as bad)."""
    rx = prefix_re(stamp_re)
    lines, bad = [], []
    parts = text.split("\n")
    if parts and parts[-1] == "":
        parts.pop()
    elif parts:
        bad.append(parts.pop() + "  <-- no final newline")
    for raw in parts:
        m = rx.match(raw)
        if m:
            lines.append(Line(raw, m))
        else:
            bad.append(raw)
    return lines, bad


def wait_lines(httpd, since, want, levels=("info", "warn", "error", "emerg"), timeout=3.0,
               settle=0.3, stamp_re=HARNESS_STAMP_RE):
    """Wait (bounded) until the jk log has at least `want` lines at `levels` after byte offset
    `since`, then `settle` seconds more to catch extra ones. Returns (lines, bad)."""
    deadline = time.monotonic() + timeout
    while True:
        lines, bad = parse(httpd.jk_log(since), stamp_re)
        if len([l for l in lines if l.level in levels]) >= want or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    time.sleep(settle)
    lines, bad = parse(httpd.jk_log(since), stamp_re)
    return [l for l in lines if l.level in levels], bad


class DefaultStampHttpd(Httpd):
    """An Httpd whose httpd.conf has no JkLogStampFormat: the module's default stamp applies.
    With log_level=None there is no JkLogLevel either: the module's default level applies."""

    def httpd_conf(self):
        conf = re.sub(r"(?m)^JkLogStampFormat .*\n", "", super().httpd_conf())
        if self.log_level is None:
            conf = re.sub(r"(?m)^JkLogLevel .*\n", "", conf)
        return conf


# ------------------------------------------------------------------ hex dumps

# A dump line's message (PacketTrace / mod_jk): `0000    12 34 00 D5 ...  - .4......`.
HEXDUMP_RE = re.compile(r"^(?P<offset>[0-9a-f]{4})    (?P<hex>(?:[0-9A-F]{2} ){1,16})(?:   )* - (?P<ascii>.{1,16})$")


def hexdumps(lines):
    """Rebuild the dumped packets from consecutive hex-dump lines (offset 0000 starts a packet).
    Returns a list of (bytes from the hex column, text of the ASCII column)."""
    packets = []
    cur_bytes, cur_text = None, None
    for l in lines:
        m = HEXDUMP_RE.match(l.msg)
        if not m:
            continue
        if m.group("offset") == "0000" or cur_bytes is None:
            if cur_bytes is not None:
                packets.append((bytes(cur_bytes), "".join(cur_text)))
            cur_bytes, cur_text = bytearray(), []
        cur_bytes += bytes.fromhex(m.group("hex"))
        cur_text.append(m.group("ascii"))
    if cur_bytes is not None:
        packets.append((bytes(cur_bytes), "".join(cur_text)))
    return packets
