"""Where fixtures put their files: one directory per run, one subdirectory per fixture.

run.py sets HARNESS_RUN_DIR (IntegrationTests/run/<stamp>-<pid>); used outside the runner,
a directory IntegrationTests/run/adhoc-<pid> is created. Directories are made 0755 because
httpd's children run as www-data and must traverse them.
"""

import os
import pathlib
import time

INTEGRATION_DIR = pathlib.Path(__file__).resolve().parent.parent
RUN_ROOT = INTEGRATION_DIR / "run"


def run_dir():
    """The directory of the current run (created on first use)."""
    path = os.environ.get("HARNESS_RUN_DIR")
    if not path:
        path = str(RUN_ROOT / ("adhoc-%s-%d" % (time.strftime("%Y%m%d-%H%M%S"), os.getpid())))
        os.environ["HARNESS_RUN_DIR"] = path
    p = pathlib.Path(path)
    make_dirs(p)
    return p


def fixture_dir(name):
    """A new, empty directory for fixture `name` inside the run directory (name, name-2, ...)."""
    base = run_dir()
    for i in range(1, 1000):
        p = base / (name if i == 1 else "%s-%d" % (name, i))
        try:
            p.mkdir()
        except FileExistsError:
            continue
        p.chmod(0o755)
        return p
    raise RuntimeError("too many fixture directories named %s" % name)


def make_dirs(path):
    """mkdir -p with mode 0755 on every directory created, umask notwithstanding."""
    path = pathlib.Path(path)
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for p in reversed(missing):
        p.mkdir(exist_ok=True)
        p.chmod(0o755)
