"""SwiftJK end-to-end test harness: real httpd + JK module + real Tomcat 10.1 on 127.0.0.1.

The module under test is a parameter (run.py --module, or env JK_MODULE_SO), so the same tests
run against Debian's mod_jk.so (the reference) and mod_swiftjk.so.
"""

import os
import unittest

from . import http, ports, procs, rundir
from .cluster import Cluster, ajp13_worker_lines
from .httpd import INDEX_MARKER, Httpd, HttpdError
from .ports import free_port, free_ports
from .tomcat import Tomcat, TomcatError

SkipTest = unittest.SkipTest


class NotApplicable(SkipTest):
    """The test does not apply to the module under test: a SwiftJK contract while the suite runs
    against Debian's mod_jk, or the reverse. The one kind of skip the runner accepts without an
    entry in its allow-list; any other SkipTest (a missing tool, package or module) fails."""

# Debian's mod_jk, the reference of every differential test. HARNESS_REFERENCE_MODULE points
# elsewhere only to show what a machine without it does: those tests fail, naming the path.
REFERENCE_MODULE = os.environ.get("HARNESS_REFERENCE_MODULE", "/usr/lib/apache2/modules/mod_jk.so")


def module_so():
    """Path of the JK module under test (env JK_MODULE_SO); raises SkipTest if unset/missing."""
    path = os.environ.get("JK_MODULE_SO")
    if not path:
        raise SkipTest("no module given (--module or JK_MODULE_SO)")
    if not os.path.isfile(path):
        raise SkipTest("module not built: %s" % path)
    return os.path.abspath(path)


def is_reference(path=None):
    """True if the module under test is Debian's mod_jk (for documented behaviour differences)."""
    path = path or os.environ.get("JK_MODULE_SO", "")
    return os.path.realpath(path) == os.path.realpath(REFERENCE_MODULE)


def note(message):
    """Print an informational line (timings, observations) under the current test's result.
    Indented, so the runner's PASS/FAIL/summary lines stay easy to parse."""
    print("  " + message, flush=True)


def require_tools():
    """SkipTest (which the runner counts as a failure) unless apache2, catalina.sh, ss and root
    privileges (httpd switches to www-data) are available."""
    for tool in ("/usr/sbin/apache2", "/usr/share/tomcat10/bin/catalina.sh", "/usr/bin/ss"):
        if not os.path.exists(tool):
            raise SkipTest("missing %s" % tool)
    if os.geteuid() != 0:
        raise SkipTest("must run as root (httpd starts as root and switches to www-data)")


__all__ = ["Cluster", "Httpd", "HttpdError", "INDEX_MARKER", "NotApplicable", "SkipTest", "Tomcat", "TomcatError",
           "REFERENCE_MODULE", "ajp13_worker_lines", "free_port", "free_ports", "http", "is_reference", "module_so",
           "note", "ports", "procs", "require_tools", "rundir"]
