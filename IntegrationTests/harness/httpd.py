"""A private Apache httpd 2.4 (Debian's apache2 binary) with a JK module, per docs/modjk-behaviour.md §12.4.

Everything lives under its own ServerRoot (conf/, htdocs/, logs/), nothing under /etc/apache2
or /run is used, it listens on 127.0.0.1 only, and it is controlled by the PID in its PidFile.
The module is loaded as `LoadModule jk_module <module_so>`, so the same configuration runs
against Debian's mod_jk.so and against mod_swiftjk.so (docs/modjk-behaviour.md §11.3): the basis of differential tests.
"""

import os
import pathlib
import signal
import socket
import subprocess
import time

from . import ports, procs, rundir

APACHE2 = "/usr/sbin/apache2"
MODULES = pathlib.Path("/usr/lib/apache2/modules")
INDEX_MARKER = "swiftjk-harness-static-index"

MPM_DEFAULTS = {
    "event": {"StartServers": 2, "ThreadsPerChild": 25, "ThreadLimit": 64,
              "MinSpareThreads": 25, "MaxSpareThreads": 75, "MaxRequestWorkers": 150},
    "prefork": {"StartServers": 5, "MinSpareServers": 5, "MaxSpareServers": 20,
                "MaxRequestWorkers": 64},
    "worker": {"StartServers": 2, "ThreadsPerChild": 25, "ThreadLimit": 64,
               "MinSpareThreads": 25, "MaxSpareThreads": 75, "MaxRequestWorkers": 150},
}

# The notes mod_jk sets per request (docs/modjk-behaviour.md §1.4): which worker and member served it.
LOG_FORMAT = ('"%h %t \\"%r\\" %>s %b %Dus jk_worker=%{JK_WORKER_NAME}n '
              'jk_route=%{JK_WORKER_ROUTE}n jk_lb_last=%{JK_LB_LAST_NAME}n pid=%P"')

# httpd logs this (AH00489/AH00094) at every start, graceful and hard restart.
RESUMING = "resuming normal operations"


class HttpdError(RuntimeError):
    pass


class Httpd:
    """httpd + JK module under a private ServerRoot.

    workers_properties: text of conf/workers.properties.
    jk_directives: extra Jk* lines after the standard ones (JkMount..., JkOptions...).
    extra_conf: anything else, appended at the end of httpd.conf.
    log_level: JkLogLevel; httpd_log_level: httpd's LogLevel.
    mpm: "event", "prefork" or "worker"; default $HARNESS_MPM (run.py --mpm), else event.
    mpm_settings: overrides of MPM_DEFAULTS[mpm], e.g. {"ThreadsPerChild": 5}.
    modules: more module names to load from /usr/lib/apache2/modules, e.g. ["headers"].
    access_log: True (the harness's format, with JK_* notes), False (none) or "combined".
    """

    def __init__(self, module_so, mpm=None, port=None, workers_properties="",
                 jk_directives="", extra_conf="", log_level="info", httpd_log_level="info",
                 mpm_settings=None, modules=(), name="httpd", access_log=True):
        mpm = mpm or os.environ.get("HARNESS_MPM") or "event"
        if mpm not in MPM_DEFAULTS:
            raise ValueError("unknown mpm %r" % mpm)
        self.module_so = str(module_so)
        self.mpm = mpm
        self.port = port or ports.free_port()
        self.workers_properties = workers_properties
        self.jk_directives = jk_directives
        self.extra_conf = extra_conf
        self.log_level = log_level
        self.httpd_log_level = httpd_log_level
        self.mpm_settings = dict(MPM_DEFAULTS[mpm], **(mpm_settings or {}))
        self.modules = list(modules)
        self.name = name
        self.access_log_enabled = access_log
        self.root = None
        self._pid = None
        self.timings = {}

    # ------------------------------------------------------------------ files

    @property
    def conf_file(self):
        return self.root / "conf" / "httpd.conf"

    @property
    def pid_file(self):
        return self.root / "logs" / "httpd.pid"

    def create(self):
        """Write the ServerRoot: conf/httpd.conf, conf/workers.properties, htdocs/index.html,
        logs/. World-readable: the children run as www-data."""
        self.root = rundir.fixture_dir(self.name)
        for d in ("conf", "htdocs", "logs"):
            (self.root / d).mkdir()
            (self.root / d).chmod(0o755)
        self.write_config()
        index = self.root / "htdocs" / "index.html"
        index.write_text("<html><body>%s</body></html>\n" % INDEX_MARKER)
        index.chmod(0o644)
        return self.root

    def write_config(self):
        """(Re)write httpd.conf and workers.properties from the attributes; a later restart()
        or graceful() picks up changes."""
        for rel, text in (("conf/httpd.conf", self.httpd_conf()),
                          ("conf/workers.properties", self.workers_properties)):
            path = self.root / rel
            path.write_text(text)
            path.chmod(0o644)

    def httpd_conf(self):
        root = self.root
        mpm = "\n".join("    %s %s" % kv for kv in self.mpm_settings.items())
        mods = ["authz_core", "authn_core", "authz_host", "mime", "dir"] + self.modules
        # mod_log_config is compiled into Debian's apache2 (`apache2 -l`): no LoadModule for it.
        load = "\n".join("LoadModule %s_module %s/mod_%s.so" % (m, MODULES, m) for m in mods)
        return f"""# Written by the SwiftJK integration harness.
ServerRoot "{root}"
ServerName 127.0.0.1
DefaultRuntimeDir "{root}/logs"
PidFile "{root}/logs/httpd.pid"
Mutex file:{root}/logs default
User www-data
Group www-data

LoadModule mpm_{self.mpm}_module {MODULES}/mod_mpm_{self.mpm}.so
<IfModule mpm_{self.mpm}_module>
{mpm}
</IfModule>
{load}

Listen 127.0.0.1:{self.port}
TypesConfig /etc/mime.types
KeepAlive On
MaxKeepAliveRequests 10000
KeepAliveTimeout 5
DocumentRoot "{root}/htdocs"
<Directory "{root}/htdocs">
    Require all granted
</Directory>
DirectoryIndex index.html

LogLevel {self.httpd_log_level}
ErrorLog "{root}/logs/error.log"
{self._access_log_lines(root)}

LoadModule jk_module {self.module_so}
JkWorkersFile "{root}/conf/workers.properties"
JkShmFile logs/jk.shm
JkLogFile logs/jk.log
JkLogLevel {self.log_level}
JkLogStampFormat "[%a %b %d %H:%M:%S %Y] "
{self.jk_directives}

{self.extra_conf}
"""

    def _access_log_lines(self, root):
        """The access log: the harness's format with JK_* notes (access_entries reads it), or
        with access_log="combined" Debian's default format, which names no note (SwiftJK then
        sets only JK_WORKER_NAME: docs/architecture.md §5.1)."""
        if self.access_log_enabled == "combined":
            return ('LogFormat "%h %l %u %t \\"%r\\" %>s %O \\"%{Referer}i\\" \\"%{User-Agent}i\\"" combined\n'
                    'CustomLog "' + str(root) + '/logs/access.log" combined')
        return 'LogFormat %s jk\n%sCustomLog "%s/logs/access.log" jk' % (
            LOG_FORMAT, "" if self.access_log_enabled else "#", root)

    # ------------------------------------------------------------------ lifecycle

    def _cmd(self, *args):
        return [APACHE2, "-d", str(self.root), "-f", str(self.conf_file)] + list(args)

    @staticmethod
    def environment():
        """apache2's environment: ours, plus a sanitizer runtime preloaded into httpd alone when
        HARNESS_HTTPD_PRELOAD names one (`make sanitize`; Tomcat and the tests stay as they are)."""
        env = dict(os.environ)
        preload = env.pop("HARNESS_HTTPD_PRELOAD", "")
        if preload:
            env["LD_PRELOAD"] = preload
        return env

    def configtest(self):
        """`apache2 -t`: catches syntax errors, a wrong LoadModule symbol and unresolved symbols
        in the module. Returns (returncode, combined output)."""
        if self.root is None:
            self.create()
        proc = subprocess.run(self._cmd("-t"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=30, env=self.environment())
        return proc.returncode, proc.stdout.decode(errors="replace")

    def configtest_and_start(self, timeout=20):
        """The usual fixture setup: configtest(), fail with an AssertionError naming this httpd
        and carrying the `apache2 -t` output unless it passed, then start(timeout). Returns self,
        so `h = Httpd(...).configtest_and_start()` works. A test that expects `apache2 -t` to
        fail, or that inspects its output, calls configtest() itself."""
        rc, out = self.configtest()
        assert rc == 0, "%s (mpm %s): configtest (apache2 -t) failed, rc=%d:\n%s" % (
            self.name, self.mpm, rc, out)
        self.start(timeout)
        return self

    @property
    def pid(self):
        """PID of the parent process, from the PidFile."""
        if self._pid is None and self.root is not None and self.pid_file.exists():
            text = self.pid_file.read_text().strip()
            self._pid = int(text) if text.isdigit() else None
        return self._pid

    def running(self):
        return procs.alive(self.pid)

    def start(self, timeout=20):
        """`apache2 -k start`, then wait (bounded) for the PidFile, the port and one answer."""
        if self.root is None:
            self.create()
        if self.running():
            raise HttpdError("%s already running (pid %d)" % (self.name, self.pid))
        self._pid = None
        if self.pid_file.exists():
            self.pid_file.unlink()
        t0 = time.monotonic()
        proc = subprocess.run(self._cmd("-k", "start"), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=30, env=self.environment())
        if proc.returncode != 0:
            raise HttpdError("%s: apache2 -k start failed (rc=%d):\n%s\n%s" % (
                self.name, proc.returncode, proc.stdout.decode(errors="replace"),
                self.error_log_tail()))
        try:
            procs.wait_until(lambda: self.pid, timeout, what="%s PidFile" % self.name)
        except TimeoutError:
            raise HttpdError("%s: no PidFile after %ss:\n%s" % (self.name, timeout,
                                                                self.error_log_tail()))
        procs.register(self)
        self._wait_answering(t0 + timeout)
        self.timings["start"] = time.monotonic() - t0
        return self

    def _answers(self):
        """True if the server returns any HTTP status line for GET /index.html."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                s.sendall(b"GET /index.html HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                return s.recv(12).startswith(b"HTTP/")
        except OSError:
            return False

    def _wait_answering(self, deadline):
        while not self._answers():
            if not self.running():
                raise HttpdError("%s: httpd exited:\n%s" % (self.name, self.error_log_tail()))
            if time.monotonic() >= deadline:
                raise HttpdError("%s: not answering on port %d:\n%s" % (
                    self.name, self.port, self.error_log_tail()))
            time.sleep(0.05)

    def _signal_restart(self, sig, timeout, old_children_gone):
        """Send a restart signal; wait until httpd logged one more 'resuming normal
        operations', a child of the new generation exists (and, for a hard restart, no old
        child is left) and the server answers again. Returns the seconds taken."""
        before = self.error_log().count(RESUMING)
        old = set(self.children())
        t0 = time.monotonic()
        if not procs.send(self.pid, sig):
            raise HttpdError("%s: not running" % self.name)

        def done():
            if self.error_log().count(RESUMING) <= before:
                return False
            kids = set(self.children())
            if not kids - old:
                return False
            return not (old_children_gone and kids & old)
        try:
            procs.wait_until(done, timeout, what="%s to restart (signal %d)" % (self.name, sig))
        except TimeoutError as e:
            raise HttpdError("%s\n%s" % (e, self.error_log_tail()))
        self._wait_answering(t0 + timeout)
        return time.monotonic() - t0

    def graceful(self, timeout=20):
        """SIGUSR1: graceful restart (old children finish their requests first, so some may
        still be alive on return). Returns seconds."""
        self.timings["graceful"] = self._signal_restart(signal.SIGUSR1, timeout, False)
        return self.timings["graceful"]

    def restart(self, timeout=20):
        """SIGHUP: hard restart (children killed, configuration and module reloaded)."""
        self.timings["restart"] = self._signal_restart(signal.SIGHUP, timeout, True)
        return self.timings["restart"]

    def stop(self, grace=15.0):
        """SIGTERM to the parent (it stops its children), SIGKILL after `grace`; then make sure
        no child survived. Returns how the parent ended ("TERM", "KILL", "gone")."""
        pid = self.pid
        if not pid:
            procs.unregister(self)
            return "gone"
        kids = procs.children_of(pid)
        t0 = time.monotonic()
        how = procs.terminate(pid, grace)
        for kid in kids:
            procs.terminate(kid, 2.0)
        self.timings["stop"] = time.monotonic() - t0
        self._pid = None
        procs.unregister(self)
        return how

    def children(self):
        """PIDs of the live child processes of the parent (from /proc)."""
        return procs.children_of(self.pid) if self.pid else []

    # ------------------------------------------------------------------ observation

    def _read(self, name, since=0):
        path = self.root / "logs" / name
        if not path.exists():
            return ""
        with open(path, "rb") as f:
            f.seek(since)
            return f.read().decode(errors="replace")

    def log_size(self, name):
        """Current size of logs/<name>: pass it as `since` to read only what follows."""
        path = self.root / "logs" / name
        return path.stat().st_size if path.exists() else 0

    def jk_log(self, since=0):
        return self._read("jk.log", since)

    def error_log(self, since=0):
        return self._read("error.log", since)

    def access_log(self, since=0):
        return self._read("access.log", since)

    def error_log_tail(self, lines=30):
        return "\n".join(self.error_log().splitlines()[-lines:]) if self.root else ""

    def access_entries(self, since=0):
        """The access log as dicts (status, request, worker, route, lb_last, pid, us)."""
        entries = []
        for line in self.access_log(since).splitlines():
            try:
                request = line.split('"')[1]
                rest = line.split('"', 2)[2].split()
                kv = dict(f.split("=", 1) for f in rest if "=" in f)
                entries.append({"request": request, "status": int(rest[0]),
                                "us": int(rest[2].rstrip("us")), "worker": kv.get("jk_worker"),
                                "route": kv.get("jk_route"), "lb_last": kv.get("jk_lb_last"),
                                "pid": int(kv.get("pid", 0)), "line": line})
            except (IndexError, ValueError):
                entries.append({"line": line})
        return entries

    def wait_access_entry(self, predicate, since=0, timeout=5.0):
        """The first access-log entry (see access_entries) for which predicate(entry) is true,
        waiting for it (bounded): httpd writes the access log after the response has gone
        out, so a client can see the response before its log line exists."""
        def find():
            return next((e for e in self.access_entries(since) if "status" in e and predicate(e)),
                        None)
        return procs.wait_until(find, timeout, what="%s access log entry" % self.name)

    @staticmethod
    def fd_count(pid):
        """Number of open file descriptors of PID (for leak checks)."""
        return len(os.listdir("/proc/%d/fd" % pid))

    @staticmethod
    def socket_inodes(pid):
        """The inodes of PID's sockets (from /proc/PID/fd), to look up in /proc/net/tcp."""
        inodes = set()
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
        return inodes

    @staticmethod
    def tcp_peer_ports(pid):
        """Remote ports of PID's established TCP sockets on 127.0.0.1, as a dict port -> count
        (from /proc/PID/fd and /proc/net/tcp): e.g. the pooled AJP connections of a child."""
        inodes = Httpd.socket_inodes(pid)
        peers = {}
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                fields = line.split()
                if fields[9] in inodes and fields[3] == "01":       # ESTABLISHED
                    port = int(fields[2].split(":")[1], 16)
                    peers[port] = peers.get(port, 0) + 1
        return peers

    @staticmethod
    def client_connections(pid, port):
        """PID's TCP sockets on local port `port` that are not listening: client connections,
        including those httpd is still closing (event MPM lingers on a closed connection in the
        background, up to a couple of seconds)."""
        inodes = Httpd.socket_inodes(pid)
        count = 0
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                fields = line.split()
                if fields[9] in inodes and fields[3] != "0A" and int(fields[1].split(":")[1], 16) == port:
                    count += 1
        return count

    @staticmethod
    def established_conns_to(port):
        """Established TCP connections from anyone to 127.0.0.1:port (e.g. the AJP pool size)."""
        out = subprocess.run(["ss", "-Htn", "state", "established", "dst", "127.0.0.1:%d" % port],
                             stdout=subprocess.PIPE, timeout=10).stdout.decode()
        return len([l for l in out.splitlines() if l.strip()])

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def __repr__(self):
        return "Httpd(%s mpm=%s port=%s pid=%s)" % (self.name, self.mpm, self.port, self._pid)
