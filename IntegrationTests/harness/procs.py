"""Process control by PID, via /proc, with every wait bounded.

Why not `kill -0`: the daemons we start (catalina.sh's java, httpd's parent) are reparented
when their launcher exits, and an init that reaps late leaves them as zombies that still answer
`kill -0` (docs/modjk-behaviour.md §12.5). The state field of /proc/PID/stat says 'Z' for those, so
"alive" here means "exists and is neither zombie nor dead".

run.py makes itself a child subreaper, so orphaned daemons are reparented to the runner; reap()
then collects them by PID (never waitpid(-1): that would steal subprocess.Popen's children).
"""

import ctypes
import os
import signal
import time


def state(pid):
    """The one-letter state of PID from /proc/PID/stat, or None if there is no such process."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read().decode("ascii", "replace")
    except (FileNotFoundError, ProcessLookupError):
        return None
    # comm may contain spaces and parentheses: the state follows the *last* ')'.
    return data[data.rfind(")") + 2:].split(" ", 1)[0]


def reap(pid):
    """Collect PID if it is our (possibly adopted) child and has exited; harmless otherwise."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def alive(pid):
    """True if PID exists and is not a zombie (see module docstring)."""
    if not pid:
        return False
    reap(pid)
    st = state(pid)
    if st in (None, "X"):
        return False
    if st == "Z":
        # A multi-threaded process (a JVM) shows 'Z' as soon as its main thread has exited,
        # while its other threads (and its sockets) may still be going away: only a zombie
        # with no other task left is really dead. Collect it if it is ours.
        reap(pid)
        try:
            return len(os.listdir("/proc/%d/task" % pid)) > 1
        except OSError:
            return False
    return True


def wait_until(predicate, timeout, interval=0.05, what="condition"):
    """Poll predicate() until it is truthy, for at most `timeout` seconds; return its value.

    Raises TimeoutError naming `what` when time runs out.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


def wait_dead(pid, timeout):
    """Wait (bounded) until PID is gone or a zombie; True if it is."""
    try:
        wait_until(lambda: not alive(pid), timeout, what="pid %d to exit" % pid)
        return True
    except TimeoutError:
        return False


def send(pid, sig):
    """Send sig to PID; False if the process no longer exists."""
    try:
        os.kill(pid, sig)
        return True
    except ProcessLookupError:
        return False


def terminate(pid, grace=10.0, kill_wait=5.0):
    """SIGTERM, wait up to `grace` s, then SIGKILL and wait up to `kill_wait` s.

    Returns how the process ended: "gone" (was not running), "TERM" or "KILL".
    Raises RuntimeError if it survives SIGKILL (should never happen short of D state).
    """
    if not alive(pid):
        return "gone"
    send(pid, signal.SIGTERM)
    if wait_dead(pid, grace):
        return "TERM"
    send(pid, signal.SIGKILL)
    if wait_dead(pid, kill_wait):
        return "KILL"
    raise RuntimeError("pid %d survived SIGKILL (state %s)" % (pid, state(pid)))


def children_of(ppid):
    """PIDs (live, not zombies) whose parent is ppid, read from /proc/*/status."""
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/status" % entry) as f:
                fields = dict(line.split(":\t", 1) for line in f if ":\t" in line)
        except OSError:
            continue
        if int(fields.get("PPid", "0").strip() or 0) == ppid and \
                fields.get("State", "?").strip()[:1] not in ("Z", "X"):
            kids.append(int(entry))
    return sorted(kids)


def become_subreaper():
    """Make this process adopt orphaned descendants (prctl PR_SET_CHILD_SUBREAPER).

    Daemons we start then stay our descendants, so they can be reaped promptly. Best effort:
    returns False where prctl is unavailable.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


# --- registry of live fixtures, so the runner can stop whatever a failing test left behind ---

_live = []


def register(fixture):
    """Remember a started fixture (anything with .stop()) until unregister()."""
    if fixture not in _live:
        _live.append(fixture)


def unregister(fixture):
    if fixture in _live:
        _live.remove(fixture)


def cleanup_all():
    """Stop every registered fixture, newest first; return the names of those that were left."""
    left = []
    while _live:
        fixture = _live.pop()
        left.append(getattr(fixture, "name", repr(fixture)))
        try:
            fixture.stop()
        except Exception as e:  # cleanup must go on to the next fixture
            print("cleanup: stopping %s failed: %s" % (left[-1], e))
    return left
