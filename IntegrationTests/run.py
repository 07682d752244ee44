#!/usr/bin/python3
"""Tiny test runner for the SwiftJK integration tests (standard library only).

Discovers tests/test_*.py, runs each argument-free test_* function in file order, with
setup_module()/teardown_module() around a module's tests when present. One line per test:
`PASS name (1.2s)`, `FAIL name: message`, `SKIP name: reason`; last line `N passed, N failed`
(plus `, N skipped`). Exit status 1 if anything failed.

A skip is not a pass. A test may skip only when it does not apply to the module under test
(`harness.NotApplicable`) or when it is on ALLOWED_SKIPS below, with its reason; any other skip
(a missing package, tool or module) is counted as a failure. The allowed skips are listed at the
end. A full run (no -k, no files) also fails when fewer tests pass than `pass-floor` says.

    /usr/bin/python3 IntegrationTests/run.py --module /usr/lib/apache2/modules/mod_jk.so
    /usr/bin/python3 IntegrationTests/run.py -k cluster --module ./mod_swiftjk.so

Whatever a module started is stopped after it (by PID), even when a test or its teardown
failed; each test has a time limit (--timeout), enforced with SIGALRM.
"""

import argparse
import importlib.util
import os
import pathlib
import shutil
import signal
import sys
import time
import traceback
import unittest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import NotApplicable, procs, rundir  # noqa: E402

# Skips that do not fail the run, each with why it may happen on a healthy machine.
ALLOWED_SKIPS = {
    "test_ajp_request.test_trace": "httpd's TraceEnable answers TRACE before any module sees it",
}
PASS_FLOOR_FILE = pathlib.Path(__file__).resolve().parent / "pass-floor"


class TestTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise TestTimeout("time limit exceeded")


def _terminate(signum, frame):
    raise KeyboardInterrupt("signal %d" % signum)


def discover(paths):
    """The test files in name order, except that a file declaring `RUN_LAST = True` (a check
    over what every other test left behind, such as the secret grep over all logs) comes
    after the others."""
    files = [pathlib.Path(p).resolve() for p in paths] if paths else \
        sorted((HERE / "tests").glob("test_*.py"))
    files = [f for f in files if f.is_file()]
    last = [f for f in files if "\nRUN_LAST = True" in f.read_text(errors="replace")]
    return [f for f in files if f not in last] + last


def load(path):
    spec = importlib.util.spec_from_file_location("itests." + path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_functions(mod):
    """test_* functions defined in the module, in definition order."""
    return [(name, fn) for name, fn in vars(mod).items()
            if name.startswith("test_") and callable(fn)
            and getattr(fn, "__module__", None) == mod.__name__]


def where(exc):
    """file:line of the innermost traceback frame inside a test file (else the innermost)."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?", "?", ""
    in_tests = [f for f in frames if pathlib.Path(f.filename).name.startswith("test_")]
    f = (in_tests or frames)[-1]
    return pathlib.Path(f.filename).name, f.lineno, f.line


def first_line(exc):
    """The failure message; an assertion without one shows its source line."""
    name, line, source = where(exc)
    if isinstance(exc, AssertionError):
        text = str(exc).strip() or "assertion failed: %s" % source
    else:
        text = "%s: %s" % (type(exc).__name__, str(exc).strip())
    return "%s [%s:%s]" % (text, name, line) if "\n" not in text else \
        text.replace("\n", " [%s:%s]\n" % (name, line), 1)


class Runner:
    def __init__(self, args):
        self.args = args
        self.passed = self.failed = self.skipped = 0
        self.allowed = []   # (name, reason) of the skips that did not fail the run

    def skip(self, name, error):
        """A SkipTest: allowed (NotApplicable or listed) or a failure."""
        if isinstance(error, NotApplicable) or name in ALLOWED_SKIPS:
            self.allowed.append((name, ALLOWED_SKIPS.get(name) or str(error)))
            self.report("SKIP", name, str(error))
        else:
            self.report("FAIL", name, "skipped, and a skip is not allowed here: %s "
                        "(only harness.NotApplicable or run.py's ALLOWED_SKIPS may skip)" % error)

    def report(self, kind, name, detail="", exc=None):
        if kind == "PASS":
            self.passed += 1
            print("PASS %s (%s)" % (name, detail), flush=True)
            return
        if kind == "SKIP":
            self.skipped += 1
        else:
            self.failed += 1
        print("%s %s: %s" % (kind, name, detail.splitlines()[0] if detail else ""), flush=True)
        if exc is not None and (self.args.verbose or kind == "FAIL"):
            rest = detail.splitlines()[1:]
            if self.args.verbose:
                print("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip())
            elif rest:
                print("    " + "\n    ".join(rest[:40]))

    def call(self, fn):
        """Run fn under the time limit; return the exception it raised, or None."""
        signal.alarm(self.args.timeout)
        try:
            fn()
            return None
        except KeyboardInterrupt:
            raise
        except BaseException as e:  # a test may raise anything, SystemExit included
            return e
        finally:
            signal.alarm(0)

    def run_module(self, path):
        short = path.stem
        try:
            mod = load(path)
        except Exception as e:
            self.report("FAIL", short + " (import)", first_line(e), e)
            return
        tests = [(n, f) for n, f in test_functions(mod)
                 if not self.args.k or self.args.k in "%s.%s" % (short, n)]
        if not tests:
            return
        setup_error = None
        if hasattr(mod, "setup_module"):
            setup_error = self.call(mod.setup_module)
        try:
            for name, fn in tests:
                full = "%s.%s" % (short, name)
                if isinstance(setup_error, unittest.SkipTest):
                    self.skip(full, setup_error)
                    continue
                if setup_error is not None:
                    self.report("FAIL", full, "setup_module: " + first_line(setup_error), setup_error)
                    continue
                t0 = time.monotonic()
                err = self.call(fn)
                dt = time.monotonic() - t0
                if err is None:
                    self.report("PASS", full, "%.1fs" % dt)
                elif isinstance(err, unittest.SkipTest):
                    self.skip(full, err)
                else:
                    self.report("FAIL", full, first_line(err), err)
        finally:
            if hasattr(mod, "teardown_module") and setup_error is None:
                err = self.call(mod.teardown_module)
                if err is not None:
                    self.report("FAIL", short + ".teardown_module", first_line(err), err)
            left = procs.cleanup_all()
            if left:
                print("note: %s left running by %s; stopped" % (", ".join(left), short))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", help="test files (default: tests/test_*.py)")
    ap.add_argument("-k", metavar="SUBSTRING", help="only tests whose module.name contains this")
    ap.add_argument("--module", default=os.environ.get("JK_MODULE_SO", ""),
                    help="JK module under test (default: $JK_MODULE_SO)")
    ap.add_argument("--mpm", choices=("event", "prefork", "worker"),
                    help="httpd MPM for tests that do not choose one (default event)")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per test (default 300)")
    ap.add_argument("--keep", action="store_true", help="keep the run directory even if all pass")
    ap.add_argument("-v", "--verbose", action="store_true", help="full tracebacks")
    args = ap.parse_args()

    os.umask(0o022)  # httpd children (www-data) must read what we write
    if args.module:
        os.environ["JK_MODULE_SO"] = os.path.abspath(args.module)
    if args.mpm:
        os.environ["HARNESS_MPM"] = args.mpm
    run = rundir.RUN_ROOT / ("%s-%d" % (time.strftime("%Y%m%d-%H%M%S"), os.getpid()))
    os.environ["HARNESS_RUN_DIR"] = str(run)
    rundir.make_dirs(run)
    procs.become_subreaper()
    signal.signal(signal.SIGALRM, _alarm)
    signal.signal(signal.SIGTERM, _terminate)

    runner = Runner(args)
    t0 = time.monotonic()
    print("module: %s\nmpm: %s\nrun dir: %s" % (args.module or "(none)",
                                             os.environ.get("HARNESS_MPM", "event"), run), flush=True)
    try:
        for path in discover(args.files):
            runner.run_module(path)
    except KeyboardInterrupt:
        print("interrupted; stopping fixtures")
        runner.failed += 1
    finally:
        procs.cleanup_all()
    print("total %.1fs" % (time.monotonic() - t0))
    if runner.allowed:
        print("allowed skips (%d):" % len(runner.allowed))
        for name, reason in runner.allowed:
            print("  %s: %s" % (name, reason))
    if not args.files and not args.k and PASS_FLOOR_FILE.exists():
        floor = int(PASS_FLOOR_FILE.read_text().split()[0])
        if runner.passed < floor:
            print("FAIL pass floor: %d passed, fewer than the %d in %s" % (runner.passed, floor, PASS_FLOOR_FILE.name))
            runner.failed += 1
        else:
            print("pass floor: %d passed, floor %d" % (runner.passed, floor))
    if runner.failed == 0 and not args.keep:
        shutil.rmtree(run, ignore_errors=True)
    else:
        print("logs kept in %s" % run)
    summary = "%d passed, %d failed" % (runner.passed, runner.failed)
    if runner.skipped:
        summary += ", %d skipped" % runner.skipped
    print(summary)
    return 1 if runner.failed else 0


if __name__ == "__main__":
    sys.exit(main())
