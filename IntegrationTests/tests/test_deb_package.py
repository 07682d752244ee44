"""The Debian package (`make deb`) on this machine's real apache2, next to Debian's mod_jk.

The package is not built here: the test takes `$SWIFTJK_DEB`, else the newest
`libapache2-mod-swiftjk_*.deb` in the repository root, and FAILS when there is none (run
`make deb` first). It changes the machine and puts it back, in this order:

1. records the state: `dpkg-query -W` of every package, `/etc/apache2/mods-enabled`,
   `/var/lib/apache2` (a2enmod's markers), `/etc/libapache2-mod-jk/workers.properties`
   (byte copy), `/var/log/apache2`, the run directories apache2ctl creates, policy-rc.d;
2. enables `jk` (an existing mod_jk host), installs the .deb with `dpkg -i` next to
   libapache2-mod-jk: the postinst must leave swiftjk disabled and say why;
3. `a2enmod swiftjk` must refuse while jk is enabled (`# Conflicts: jk` in swiftjk.load);
4. swap: `a2dismod jk && a2enmod swiftjk && apache2ctl configtest`;
5. writes a temporary workers.properties (a harness Tomcat, `worker.X.mount=/*.jsp`, status
   workers for the .conf's /jk-status and /jk-manager) and runs the SYSTEM apache2: ServerRoot is
   a scratch directory whose mods-enabled, conf-enabled, sites-enabled and apache2.conf are
   symlinks to /etc/apache2's, with its own ports.conf (`Listen 127.0.0.1:<free port>`); the
   APACHE_* variables of /etc/apache2/envvars point PidFile, runtime, lock and log directories
   into the scratch directory. The package's swiftjk.conf is used as installed (jk log in
   /var/log/apache2/mod_jk.log). A JSP is served through SwiftJK;
6. the jk log is rotated as Debian's /etc/logrotate.d/apache2 does (rename, reload) and SwiftJK
   writes a new one; the package ships no logrotate file of its own;
7. `a2enmod jk` while swiftjk is enabled cannot be refused, but `apache2ctl configtest` then
   fails with swiftjk.load's message; `a2dismod jk` again;
8. back: `a2dismod swiftjk && a2enmod jk && apache2ctl configtest`, then a graceful restart of the
   running server (what `systemctl reload apache2` does) with a request in flight: the same JSP is
   served by mod_jk, the in-flight request completes;
9. `dpkg --purge` leaves none of the package's files (every `dpkg -L` path gone, or a directory
   another package owns) and no swiftjk entry in mods-enabled or /var/lib/apache2;
10. puts everything back (also when a step failed) and checks the recorded state again.

It refuses to run (fails) while the system's own apache2 is running, or when
libapache2-mod-swiftjk is already installed: it would change a live server or remove a package
it did not install. 127.0.0.1 only; every process it starts is stopped by PID.
"""

import fcntl
import fnmatch
import glob
import os
import pathlib
import re
import shutil
import signal
import subprocess
import threading
import time

from harness import (NotApplicable, Tomcat, ajp13_worker_lines, http, is_reference, note, ports,
                     procs, require_tools, rundir)

MAIN = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = "libapache2-mod-swiftjk"
APACHE2 = "/usr/sbin/apache2"
ETC = pathlib.Path("/etc/apache2")
MODS_ENABLED = ETC / "mods-enabled"
VAR_LIB = pathlib.Path("/var/lib/apache2")
LOG_DIR = pathlib.Path("/var/log/apache2")
WORKERS = pathlib.Path("/etc/libapache2-mod-jk/workers.properties")
POLICY_RC = pathlib.Path("/usr/sbin/policy-rc.d")
RUN_DIRS = [pathlib.Path(p) for p in ("/run/apache2", "/run/lock/apache2")]
JK_LOG = LOG_DIR / "mod_jk.log"
SWIFTJK_SO = "/usr/lib/apache2/modules/mod_swiftjk.so"
MOD_JK_SO = "/usr/lib/apache2/modules/mod_jk.so"
SECRET = "deb-package-secret-4711"
RESUMING = "resuming normal operations"

DEB = None
TC = None
SERVER = None
STATE = None
LOCK_FD = None


def lock_machine(timeout=240):
    """One run of this test per machine at a time (two suites may run in parallel): an
    exclusive flock on the /etc/apache2 directory itself, so no lock file is left behind."""
    global LOCK_FD
    fd = os.open(str(ETC), os.O_RDONLY | os.O_DIRECTORY)
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            LOCK_FD = fd
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise AssertionError("another run of test_deb_package holds the lock on %s" % ETC)
            time.sleep(0.5)


def unlock_machine():
    global LOCK_FD
    if LOCK_FD is not None:
        os.close(LOCK_FD)
        LOCK_FD = None


def run(*cmd, check=True, env=None, timeout=120):
    """Runs a command; returns (rc, stdout+stderr). check=True raises on a non-zero status.

    A time limit or a signal (the runner's SIGALRM, SIGTERM) while it runs does not kill the
    command: dpkg or a2enmod stopped half-way would leave the machine in a state the restore
    cannot vouch for. The command may finish (bounded by `timeout` again), then the exception
    goes on."""
    proc = subprocess.Popen(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except BaseException:
        deadline = time.monotonic() + timeout
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                proc.communicate(timeout=1)
            except BaseException:
                pass
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        raise
    out = out.decode(errors="replace")
    if check and proc.returncode != 0:
        raise AssertionError("%s: rc=%d\n%s" % (" ".join(cmd), proc.returncode, out))
    return proc.returncode, out


def find_deb():
    path = os.environ.get("SWIFTJK_DEB")
    if path:
        assert os.path.isfile(path), "SWIFTJK_DEB=%s does not exist (run `make deb`)" % path
        return pathlib.Path(path).resolve()
    debs = sorted(MAIN.glob(PACKAGE + "_*.deb"), key=lambda p: p.stat().st_mtime)
    assert debs, ("no %s_*.deb in %s and SWIFTJK_DEB unset: build it with `make deb` first "
                  "(this test never builds and never skips)" % (PACKAGE, MAIN))
    return debs[-1]


def dpkg_state():
    """Every package dpkg knows, with version and status, one line each, sorted."""
    _, out = run("dpkg-query", "-W", "-f=${Package}:${Architecture} ${Version} ${Status}\n")
    return sorted(out.splitlines())


def installed(package):
    rc, out = run("dpkg-query", "-W", "-f=${Status}", package, check=False)
    return rc == 0 and "installed" in out.split()[-1:]


def enabled_modules():
    return sorted(p.name for p in MODS_ENABLED.iterdir())


def module_enabled(name):
    return (MODS_ENABLED / (name + ".load")).exists()


def apache_env():
    """The environment apache2ctl gives apache2: /etc/apache2/envvars sourced."""
    _, out = run("sh", "-c", ". /etc/apache2/envvars && env -0", check=True)
    env = {}
    for item in out.split("\0"):
        if "=" in item:
            k, v = item.split("=", 1)
            env[k] = v
    env.setdefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
    return env


def configtest():
    """`apache2ctl configtest` on the system configuration: (rc, output)."""
    return run("apache2ctl", "configtest", check=False)


class MachineState:
    """What this test may change, recorded before and put back by restore() (idempotent)."""

    def __init__(self, backup_dir):
        self.backup_dir = backup_dir
        self.dpkg = dpkg_state()
        self.mods = {p.name: os.readlink(p) if p.is_symlink() else None for p in MODS_ENABLED.iterdir()}
        self.var_lib = {}
        for p in sorted(VAR_LIB.rglob("*")):
            rel = str(p.relative_to(VAR_LIB))
            self.var_lib[rel] = None if p.is_dir() else p.read_bytes()
        assert WORKERS.is_file(), "%s missing: libapache2-mod-jk is not installed as shipped" % WORKERS
        self.workers_stat = WORKERS.stat()
        self.workers_bytes = WORKERS.read_bytes()
        shutil.copy2(WORKERS, backup_dir / "workers.properties.orig")
        self.logs = {p.name for p in LOG_DIR.iterdir()}
        self.jk_log = None
        if JK_LOG.exists():
            shutil.copy2(JK_LOG, backup_dir / "mod_jk.log.orig")
            self.jk_log = JK_LOG.stat()
        self.run_dirs = {d: d.exists() for d in RUN_DIRS}
        self.policy_created = False
        self.installed_by_us = False
        self.restored = False

    def ensure_policy_rc(self):
        """Package scripts must not (re)start the system apache2: policy-rc.d denies it."""
        if not POLICY_RC.exists():
            POLICY_RC.write_text("#!/bin/sh\n# temporary, SwiftJK test_deb_package\nexit 101\n")
            POLICY_RC.chmod(0o755)
            self.policy_created = True

    def restore(self):
        if self.restored:
            return
        errors = []

        def step(what, fn):
            try:
                fn()
            except Exception as e:  # every step runs, whatever failed before
                errors.append("%s: %s" % (what, e))

        step("stop apache2", stop_server)
        if self.installed_by_us:
            step("purge", lambda: installed(PACKAGE) and run("dpkg", "--purge", PACKAGE))
        step("mods-enabled", self._restore_mods)
        step("/var/lib/apache2", self._restore_var_lib)
        step("workers.properties", self._restore_workers)
        step("/var/log/apache2", self._restore_logs)
        step("run dirs", self._restore_run_dirs)
        if self.policy_created:
            step("policy-rc.d", lambda: POLICY_RC.unlink())
        step("verify", self.verify)
        self.restored = True
        if errors:
            raise AssertionError("restoring the machine: " + "; ".join(errors))

    def _restore_mods(self):
        for p in list(MODS_ENABLED.iterdir()):
            if p.name not in self.mods or (p.is_symlink() and os.readlink(p) != self.mods[p.name]):
                p.unlink()
        for name, target in self.mods.items():
            p = MODS_ENABLED / name
            if not p.is_symlink() and not p.exists() and target is not None:
                os.symlink(target, p)

    def _restore_var_lib(self):
        for p in sorted(VAR_LIB.rglob("*"), reverse=True):
            rel = str(p.relative_to(VAR_LIB))
            if rel not in self.var_lib:
                p.rmdir() if p.is_dir() else p.unlink()
        for rel, data in self.var_lib.items():
            p = VAR_LIB / rel
            if data is None:
                p.mkdir(parents=True, exist_ok=True)
            elif not p.exists() or p.read_bytes() != data:
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_bytes(data)

    def _restore_workers(self):
        if WORKERS.read_bytes() != self.workers_bytes or WORKERS.stat().st_mtime != self.workers_stat.st_mtime:
            shutil.copy2(self.backup_dir / "workers.properties.orig", WORKERS)
        os.chown(WORKERS, self.workers_stat.st_uid, self.workers_stat.st_gid)
        os.chmod(WORKERS, self.workers_stat.st_mode & 0o7777)

    def _restore_logs(self):
        for p in LOG_DIR.iterdir():
            if p.name not in self.logs:
                p.unlink()
        if self.jk_log is not None:
            shutil.copy2(self.backup_dir / "mod_jk.log.orig", JK_LOG)
            os.chown(JK_LOG, self.jk_log.st_uid, self.jk_log.st_gid)

    def _restore_run_dirs(self):
        for d, existed in self.run_dirs.items():
            if not existed and d.exists():
                shutil.rmtree(d)

    def verify(self):
        problems = []
        if dpkg_state() != self.dpkg:
            problems.append("dpkg state differs")
        now = {p.name: os.readlink(p) if p.is_symlink() else None for p in MODS_ENABLED.iterdir()}
        if now != self.mods:
            problems.append("mods-enabled differs: %s" % sorted(set(now.items()) ^ set(self.mods.items())))
        lib = {str(p.relative_to(VAR_LIB)) for p in VAR_LIB.rglob("*")}
        if lib != set(self.var_lib):
            problems.append("/var/lib/apache2 differs: %s" % sorted(lib ^ set(self.var_lib)))
        st = WORKERS.stat()
        if (WORKERS.read_bytes(), st.st_mode, st.st_uid, st.st_gid, st.st_mtime) != (
                self.workers_bytes, self.workers_stat.st_mode, self.workers_stat.st_uid,
                self.workers_stat.st_gid, self.workers_stat.st_mtime):
            problems.append("%s differs" % WORKERS)
        if {p.name for p in LOG_DIR.iterdir()} != self.logs:
            problems.append("/var/log/apache2 differs")
        if problems:
            raise AssertionError("; ".join(problems))


class SystemApache:
    """The system apache2 (/etc/apache2's configuration as enabled), moved onto a free port on
    127.0.0.1 and into a scratch directory for its PidFile, runtime, lock and log files."""

    def __init__(self):
        self.dir = rundir.fixture_dir("system-apache2")
        self.root = self.dir / "root"
        for d in ("root", "run", "lock", "log"):
            (self.dir / d).mkdir()
            (self.dir / d).chmod(0o755)
        for name in ("apache2.conf", "mods-available", "mods-enabled", "conf-available",
                     "conf-enabled", "sites-available", "sites-enabled", "magic"):
            if (ETC / name).exists():
                os.symlink(ETC / name, self.root / name)
        self.port = ports.free_port()
        (self.root / "ports.conf").write_text("# SwiftJK test_deb_package: instead of Listen 80\n"
                                               "Listen 127.0.0.1:%d\n" % self.port)
        self.env = apache_env()
        self.env.update(APACHE_PID_FILE=str(self.dir / "run" / "apache2.pid"),
                        APACHE_RUN_DIR=str(self.dir / "run"), APACHE_LOCK_DIR=str(self.dir / "lock"),
                        APACHE_LOG_DIR=str(self.dir / "log"))
        self.pid_file = self.dir / "run" / "apache2.pid"
        self.error_log = self.dir / "log" / "error.log"
        self.name = "system-apache2"
        self.pid = None

    def cmd(self, *args):
        return [APACHE2, "-d", str(self.root), "-f", str(self.root / "apache2.conf")] + list(args)

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def resumed(self):
        return self.error_log.read_text(errors="replace").count(RESUMING) if self.error_log.exists() else 0

    def start(self):
        rc, out = run(*self.cmd("-k", "start"), check=False, env=self.env)
        assert rc == 0, "apache2 -k start: rc=%d\n%s" % (rc, out)
        procs.wait_until(lambda: self.pid_file.exists() and self.pid_file.read_text().strip(), 20,
                         what="apache2 PidFile")
        self.pid = int(self.pid_file.read_text().strip())
        procs.register(self)
        procs.wait_until(lambda: ports.is_listening(self.port), 20, what="apache2 listening")
        procs.wait_until(lambda: self.resumed() >= 1, 20, what="apache2 started")
        return out

    def graceful(self):
        """SIGUSR1, as `apache2ctl graceful` (systemctl reload) sends after its configtest."""
        before = self.resumed()
        procs.send(self.pid, signal.SIGUSR1)
        procs.wait_until(lambda: self.resumed() > before or not procs.alive(self.pid), 30,
                         what="graceful restart")
        assert procs.alive(self.pid), "apache2 died at the graceful restart:\n" + self.log_tail()

    def log_tail(self, n=20):
        if not self.error_log.exists():
            return ""
        return "\n".join(self.error_log.read_text(errors="replace").splitlines()[-n:])

    def modules_mapped(self):
        """JK module files mapped by the children (which module serves requests)."""
        found = set()
        for kid in procs.children_of(self.pid):
            try:
                with open("/proc/%d/maps" % kid) as f:
                    found |= {line.split()[-1] for line in f if line.rstrip().endswith(".so")
                              and os.path.basename(line.split()[-1]) in ("mod_jk.so", "mod_swiftjk.so")}
            except OSError:
                pass
        return found

    def stop(self):
        if not self.pid:
            procs.unregister(self)
            return "gone"
        kids = procs.children_of(self.pid)
        how = procs.terminate(self.pid, 15.0)
        for kid in kids:
            procs.terminate(kid, 2.0)
        self.pid = None
        procs.unregister(self)
        return how


def stop_server():
    if SERVER is not None:
        SERVER.stop()


def write_workers():
    """A temporary workers.properties: the harness Tomcat mounted on /*.jsp, plus the status
    workers that Debian's jk.conf layout mounts on /jk-status and /jk-manager."""
    lines = ["# Temporary, written by SwiftJK's test_deb_package; the original is restored.",
             "worker.list=tomcat,jk-status,jk-manager"]
    lines += ajp13_worker_lines(TC, name="tomcat")
    lines += ["worker.tomcat.mount=/*.jsp",
              "worker.jk-status.type=status", "worker.jk-status.read_only=true",
              "worker.jk-manager.type=status"]
    WORKERS.write_text("\n".join(lines) + "\n")


def setup_module():
    global DEB
    if is_reference():
        raise NotApplicable("tests SwiftJK's Debian package, not the module under test")
    DEB = find_deb()
    require_tools()
    for tool in ("/usr/bin/dpkg", "/usr/sbin/a2enmod", "/usr/sbin/apache2ctl"):
        assert os.path.exists(tool), "missing %s" % tool
    assert installed("libapache2-mod-jk"), "libapache2-mod-jk is not installed (make deps)"
    lock_machine()
    try:
        check_preconditions_and_record()
    except BaseException:
        unlock_machine()
        raise


def check_preconditions_and_record():
    global TC, STATE
    assert not installed(PACKAGE), ("%s is already installed: this test installs and purges it, "
                                    "so it will not run on a machine that has it" % PACKAGE)
    env = apache_env()
    pid_file = pathlib.Path(env.get("APACHE_PID_FILE", "/run/apache2/apache2.pid"))
    if pid_file.exists():
        text = pid_file.read_text().strip()
        assert not (text.isdigit() and procs.alive(int(text))), (
            "the system apache2 is running (pid %s): this test switches modules in /etc/apache2 "
            "and writes /var/log/apache2/mod_jk.log; stop it first" % text)
    backup = rundir.fixture_dir("deb-backup")
    STATE = MachineState(backup)
    procs.register(RESTORER)
    try:
        note("package %s (%d KiB); jk enabled before: %s" % (DEB.name, DEB.stat().st_size // 1024,
                                                             module_enabled("jk")))
        TC = Tomcat("debpkg", "tc1", secret=SECRET)
        TC.start_ready()
    except BaseException:
        STATE.restore()
        procs.unregister(RESTORER)
        raise


class _Restorer:
    """Registered like a fixture, so the runner's cleanup restores the machine even when
    teardown_module does not run."""
    name = "deb-package machine state"

    def stop(self):
        try:
            if STATE is not None:
                STATE.restore()
        finally:
            unlock_machine()


RESTORER = _Restorer()


def teardown_module():
    try:
        if STATE is not None:
            STATE.restore()
            procs.unregister(RESTORER)
            note("machine restored: dpkg state, mods-enabled, /var/lib/apache2, %s, "
                 "/var/log/apache2 as recorded" % WORKERS)
    finally:
        unlock_machine()
        if TC is not None:
            TC.stop()


def test_install_next_to_mod_jk_leaves_swiftjk_disabled_while_jk_enabled():
    if not module_enabled("jk"):
        run("a2enmod", "jk")
    STATE.ensure_policy_rc()
    STATE.installed_by_us = True
    _, out = run("dpkg", "-i", str(DEB), env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    assert installed(PACKAGE), out
    assert installed("libapache2-mod-jk"), "libapache2-mod-jk was removed:\n" + out
    assert module_enabled("jk") and not module_enabled("swiftjk"), enabled_modules()
    assert "mod_jk (module jk) is enabled, so SwiftJK was not enabled" in out, out
    _, files = run("dpkg", "-L", PACKAGE)
    for path in (SWIFTJK_SO, "/usr/bin/swiftjk", "/etc/apache2/mods-available/swiftjk.load",
                 "/etc/apache2/mods-available/swiftjk.conf"):
        assert path in files.splitlines() and os.path.isfile(path), "%s not installed:\n%s" % (path, files)
    # Documentation as built (a dpkg path-exclude, as in some container images, may skip it).
    _, content = run("dpkg-deb", "-c", str(DEB))
    for path in ("./usr/share/man/man1/swiftjk.1.gz", "./usr/share/doc/%s/README.Debian" % PACKAGE,
                 "./usr/share/doc/%s/copyright" % PACKAGE, "./usr/share/doc/%s/changelog.gz" % PACKAGE):
        assert re.search(r"\s%s$" % re.escape(path), content, re.M), "%s not in the .deb:\n%s" % (path, content)
    assert "./etc/logrotate.d/" not in content, content
    _, conffiles = run("dpkg-query", "-W", "-f=${Conffiles}", PACKAGE)
    assert "/etc/apache2/mods-available/swiftjk.load" in conffiles, conffiles
    assert "/etc/apache2/mods-available/swiftjk.conf" in conffiles, conffiles
    rc, version = run("/usr/bin/swiftjk", "--help", check=False)
    assert rc == 0 and "swiftjk check" in version, version
    note("dpkg -i: installed next to libapache2-mod-jk; postinst left swiftjk disabled (jk enabled)")


def test_a2enmod_swiftjk_refused_while_jk_enabled():
    assert module_enabled("jk")
    before = enabled_modules()
    rc, out = run("a2enmod", "swiftjk", check=False)
    assert rc != 0, "a2enmod swiftjk succeeded while jk is enabled:\n" + out
    assert "Module jk is enabled - cannot proceed due to conflicts" in out, out
    assert enabled_modules() == before, (before, enabled_modules())
    note("a2enmod swiftjk: rc=%d, %s" % (rc, next(l for l in out.splitlines() if "cannot proceed" in l)))


def test_swap_to_swiftjk_configtest():
    write_workers()
    run("a2dismod", "jk")
    run("a2enmod", "swiftjk")
    assert module_enabled("swiftjk") and not module_enabled("jk"), enabled_modules()
    rc, out = configtest()
    assert rc == 0 and "Syntax OK" in out, "apache2ctl configtest: rc=%d\n%s" % (rc, out)
    assert "error" not in out.lower(), out
    note("a2dismod jk && a2enmod swiftjk && apache2ctl configtest: Syntax OK")


def test_system_apache2_serves_jsp_through_swiftjk():
    global SERVER
    SERVER = SystemApache()
    rc, out = run(*SERVER.cmd("-t"), check=False, env=SERVER.env)
    assert rc == 0, out
    SERVER.start()
    r = http.get(SERVER.url("/hello.jsp"))
    assert r.status == 200 and r.body == b"hello\n", (r, SERVER.log_tail())
    r = http.get(SERVER.url("/echo.jsp"))
    assert r.status == 200 and r.kv().get("node") == "tc1", r
    r = http.get(SERVER.url("/jk-status?mime=txt"))
    assert r.status == 200, r
    assert SERVER.modules_mapped() == {SWIFTJK_SO}, SERVER.modules_mapped()
    log = JK_LOG.read_text(errors="replace")
    assert log, "the jk log %s is empty" % JK_LOG
    note("system apache2 on 127.0.0.1:%d with swiftjk.conf as installed: /hello.jsp 200, "
         "/jk-status 200, children map %s; %s has %d lines"
         % (SERVER.port, SWIFTJK_SO, JK_LOG, len(log.splitlines())))


def test_jk_log_rotated_by_apache2_logrotate():
    conf = pathlib.Path("/etc/apache2/mods-available/swiftjk.conf").read_text()
    path = re.search(r"^\s*JkLogFile\s+(\S+)", conf, re.M).group(1)
    assert path == str(JK_LOG), path
    rotate = pathlib.Path("/etc/logrotate.d/apache2").read_text()
    patterns = re.findall(r"^(/\S+)\s*\{", rotate, re.M)
    assert any(fnmatch.fnmatch(path, p) for p in patterns), (path, patterns)
    assert not [f for f in glob.glob("/etc/logrotate.d/*") if "swiftjk" in f]
    # What logrotate does: rename, then reload (postrotate); SwiftJK reopens the path.
    # The renamed file is deleted here; a jk log that existed before the test comes back from
    # the backup at the end.
    rotated = LOG_DIR / ("mod_jk.log.rotated-by-test-%d" % os.getpid())
    os.rename(JK_LOG, rotated)
    try:
        SERVER.graceful()
        r = http.get(SERVER.url("/hello.jsp"))
        assert r.status == 200, r
        procs.wait_until(lambda: JK_LOG.exists() and JK_LOG.stat().st_size > 0, 10, what="new jk log")
        assert SERVER.modules_mapped() >= {SWIFTJK_SO}, SERVER.modules_mapped()
    finally:
        rotated.unlink()
    note("%s is covered by /etc/logrotate.d/apache2 (%s); after rename + graceful a new one has "
         "%d bytes" % (path, ", ".join(patterns), JK_LOG.stat().st_size))


def test_jk_enabled_next_to_swiftjk_fails_configtest_with_message():
    rc, out = run("a2enmod", "jk", check=False)
    assert rc == 0, "a2enmod jk: rc=%d\n%s" % (rc, out)
    try:
        rc, out = configtest()
        assert rc != 0, "apache2ctl configtest passed with jk and swiftjk enabled:\n" + out
        assert "mod_jk and SwiftJK are both enabled" in out, out
        note("a2enmod jk (not refusable) -> apache2ctl configtest rc=%d: %s" % (
            rc, next(l for l in out.splitlines() if "both enabled" in l).strip()[:120]))
    finally:
        run("a2dismod", "jk")
    rc, out = configtest()
    assert rc == 0, out


def test_swap_back_to_mod_jk_with_graceful_reload():
    run("a2dismod", "swiftjk")
    run("a2enmod", "jk")
    rc, out = configtest()
    assert rc == 0 and "Syntax OK" in out, "apache2ctl configtest: rc=%d\n%s" % (rc, out)
    result = {}

    def slow():
        try:
            result["r"] = http.get(SERVER.url("/slow.jsp?ms=1500"), timeout=20)
        except Exception as e:
            result["r"] = e
    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.4)
    SERVER.graceful()
    statuses = [http.get(SERVER.url("/hello.jsp")).status for _ in range(10)]
    t.join(20)
    assert set(statuses) == {200}, statuses
    r = result.get("r")
    assert getattr(r, "status", None) == 200 and b"slept=1500" in r.body, r
    procs.wait_until(lambda: SERVER.modules_mapped() == {MOD_JK_SO}, 20, what="only mod_jk children")
    r = http.get(SERVER.url("/jk-status?mime=txt"))
    assert r.status == 200, r
    SERVER.stop()
    note("a2dismod swiftjk && a2enmod jk && apache2ctl configtest; graceful: in-flight request 200, "
         "/hello.jsp 200 x10 served by %s" % MOD_JK_SO)


def package_paths():
    _, listed = run("dpkg", "-L", PACKAGE)
    return [p for p in listed.splitlines() if p.startswith("/") and p != "/."]


def dpkg_env():
    return dict(os.environ, DEBIAN_FRONTEND="noninteractive")


def assert_nothing_left(paths):
    """None of the package's paths exists (a directory other packages own aside), and nothing
    named *swiftjk* is left in the system's directories."""
    left = []
    for p in paths:
        if os.path.lexists(p):
            if os.path.isdir(p) and not os.path.islink(p):
                rc, _ = run("dpkg-query", "-S", p, check=False)
                if rc == 0:
                    continue    # a directory other packages own too
            left.append(p)
    assert not left, "left after purge: %s" % left
    found = []
    for top in ("/etc", "/usr", "/var/lib/apache2", "/var/lib/dpkg/info", "/var/log/apache2"):
        rc, out = run("find", top, "-name", "*swiftjk*", check=False)
        found += out.split()
    assert not found, "found after purge: %s" % found
    assert not [m for m in enabled_modules() if m.startswith("swiftjk")], enabled_modules()


def test_purge_leaves_nothing():
    paths = package_paths()
    run("dpkg", "--purge", PACKAGE, env=dpkg_env())
    assert not installed(PACKAGE)
    assert_nothing_left(paths)
    note("dpkg --purge: none of %d listed paths left (shared directories aside), no *swiftjk* in "
         "/etc, /usr, /var/lib/apache2, /var/lib/dpkg/info, /var/log/apache2" % len(paths))


def test_install_with_jk_disabled_enables_swiftjk_and_remove_disables_it():
    """A host without mod_jk enabled: the postinst enables swiftjk as Debian's module packages
    do; `dpkg -r` disables it again and keeps the conffiles; `dpkg --purge` removes them."""
    if module_enabled("jk"):
        run("a2dismod", "jk")
    _, out = run("dpkg", "-i", str(DEB), env=dpkg_env())
    assert module_enabled("swiftjk"), "postinst did not enable swiftjk:\n" + out
    rc, test = configtest()
    assert rc == 0 and "Syntax OK" in test, test
    paths = package_paths()
    _, out = run("dpkg", "-r", PACKAGE, env=dpkg_env())
    assert not module_enabled("swiftjk"), "prerm left swiftjk enabled:\n" + out
    assert not os.path.exists(SWIFTJK_SO) and not os.path.exists("/usr/bin/swiftjk")
    for conffile in ("swiftjk.load", "swiftjk.conf"):
        assert (ETC / "mods-available" / conffile).is_file(), "conffile %s removed by dpkg -r" % conffile
    rc, test = configtest()
    assert rc == 0, test
    run("dpkg", "--purge", PACKAGE, env=dpkg_env())
    assert_nothing_left(paths)
    note("jk disabled: dpkg -i enabled swiftjk (configtest OK); dpkg -r disabled it and kept the "
         "conffiles; dpkg --purge left nothing")
