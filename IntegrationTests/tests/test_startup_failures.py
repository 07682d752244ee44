"""A log or shared-memory file that cannot be created (a missing directory, a log path that is a
directory, a piped log whose program cannot run) stops `apache2 -k start` itself, with a
non-zero status and the reason on the terminal, as with mod_jk (docs/architecture.md §4.3).

SwiftJK opens these files in post_config, which does nothing on httpd's first pass (the module is
unloaded after it); without a check on that pass, `-k start` returned 0 and the daemon exited in
the background, with the reason only in error.log.
"""

import subprocess
import time

from harness import Httpd, http, is_reference, module_so, note, procs, require_tools
from harness.fakeajp import FakeAJP

FAKE = None


def setup_module():
    global FAKE
    require_tools()
    FAKE = FakeAJP("ok").start()


def teardown_module():
    if FAKE:
        FAKE.stop()


def start_fails(name, jk_directives):
    """`apache2 -k start` on a config with `jk_directives`: (rc, output, running)."""
    workers = ("worker.list=lb\nworker.a.host=127.0.0.1\nworker.a.port=%d\nworker.a.secret=s\n"
               "worker.lb.type=lb\nworker.lb.balance_workers=a\n" % FAKE.port)
    h = Httpd(module_so(), workers_properties=workers, jk_directives=jk_directives + "\nJkMount /x/* lb", name=name)
    h.create()
    proc = subprocess.run(h._cmd("-k", "start"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
    time.sleep(1.0)
    running = h.pid_file.exists()
    if running:
        subprocess.run(h._cmd("-k", "stop"), timeout=30)
        time.sleep(1.0)
    note("%s: rc=%d, running=%s: %s" % (name, proc.returncode, running, proc.stdout.strip().splitlines()[-2:]))
    return proc.returncode, proc.stdout, running


def test_missing_log_directory_fails_the_start():
    rc, out, running = start_fails("nologdir", "JkLogFile logs/nodir/jk.log")
    assert rc != 0 and not running, (rc, running, out)
    if not is_reference():
        assert "logs/nodir' does not exist" in out, out


def test_missing_shm_directory_fails_the_start():
    rc, out, running = start_fails("noshmdir", "JkShmFile /nonexistent-dir/jk.shm")
    assert rc != 0 and not running, (rc, running, out)
    if not is_reference():
        assert "JkShmFile" in out and "'/nonexistent-dir' does not exist" in out, out


def test_log_file_that_is_a_directory_fails_the_start():
    rc, out, running = start_fails("logisdir", "JkLogFile logs")
    assert rc != 0 and not running, (rc, running, out)
    if not is_reference():
        assert "JkLogFile: cannot open" in out and "it is a directory" in out and "httpd.conf:" in out, out


def test_piped_log_whose_program_cannot_run_fails_the_start():
    rc, out, running = start_fails("badpipe", 'JkLogFile "|/nonexistent/rotatelogs logs/jk.%Y 86400"')
    assert rc != 0 and not running, (rc, running, out)
    if not is_reference():
        assert "cannot run '/nonexistent/rotatelogs'" in out, out


def test_piped_log_without_a_program_fails_the_start():
    rc, out, running = start_fails("emptypipe", 'JkLogFile "|"')
    assert rc != 0 and not running, (rc, running, out)
    if not is_reference():
        assert "no program to run" in out, out


def test_unused_shm_file_in_a_missing_directory_is_a_warning():
    # No lb and no status worker: no file is made, so SwiftJK starts (mod_jk refuses), but says
    # the path is wrong.
    workers = "worker.list=a\nworker.a.host=127.0.0.1\nworker.a.port=%d\n" % FAKE.port
    h = Httpd(module_so(), workers_properties=workers, name="shmunused",
              jk_directives="JkShmFile /nonexistent-dir/jk.shm\nJkMount /x/* a")
    h.create()
    proc = subprocess.run(h._cmd("-t"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
    note("shmunused: rc=%d: %s" % (proc.returncode, proc.stdout.strip().splitlines()[-2:]))
    if not is_reference():
        assert proc.returncode == 0, proc.stdout
        assert "JkShmFile '/nonexistent-dir/jk.shm': the directory '/nonexistent-dir' does not exist" in proc.stdout, proc.stdout


def test_a_stop_does_not_check_what_a_start_opens():
    # The piped logger's program disappears while httpd runs (a package removed): `-k stop`
    # reads the configuration but only signals the server, so it must still stop it.
    workers = "worker.list=a\nworker.a.host=127.0.0.1\nworker.a.port=%d\n" % FAKE.port
    h = Httpd(module_so(), workers_properties=workers, name="stopcheck")
    root = h.create()
    logger = root / "logs" / "jk-logger"
    logger.write_text("#!/bin/sh\nexec cat >> %s\n" % (root / "logs" / "jk-piped.log"))
    logger.chmod(0o755)
    h.jk_directives = 'JkLogFile "|%s"\nJkMount /x/* a' % logger
    h.write_config()
    h.start()
    try:
        logger.unlink()
        proc = subprocess.run(h._cmd("-k", "stop"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
        deadline = time.monotonic() + 15
        while h.pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        note("stopcheck: rc=%d, stopped=%s: %s" % (proc.returncode, not h.pid_file.exists(), proc.stdout.strip()[-200:]))
        assert proc.returncode == 0 and not h.pid_file.exists(), proc.stdout
    finally:
        if h.pid_file.exists():
            h.stop()
        else:
            procs.unregister(h)   # stopped by `-k stop` above


def test_a_graceful_restart_onto_a_broken_log_is_refused_and_the_server_keeps_serving():
    workers = "worker.list=a\nworker.a.host=127.0.0.1\nworker.a.port=%d\n" % FAKE.port
    h = Httpd(module_so(), workers_properties=workers, name="gracefulcheck", jk_directives="JkMount /x/* a")
    h.start()
    try:
        h.jk_directives = "JkLogFile logs/nodir/jk.log\nJkMount /x/* a"
        h.write_config()
        proc = subprocess.run(h._cmd("-k", "graceful"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
        time.sleep(1.5)
        try:
            status = http.get(h.url("/x/1"), timeout=10).status
        except OSError as error:   # mod_jk: the server reread the configuration and exited
            status = repr(error)
        note("gracefulcheck: rc=%d, then %s: %s" % (proc.returncode, status, proc.stdout.strip()[-160:]))
        if not is_reference():
            assert proc.returncode != 0 and "does not exist" in proc.stdout, proc.stdout
            assert status == 200, status
    finally:
        if h.pid_file.exists():
            h.stop()
        else:
            procs.unregister(h)
