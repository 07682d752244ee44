"""BENCHMARKS.md sections written by the bench scripts (hostile.py, soak.py)."""

import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
SECTION_PREFIX = "<!-- section written by "


def write_section(mark, body):
    """Replaces a script's section of BENCHMARKS.md (up to the next script's mark), or inserts
    it before the first script-written section: bench.py keeps everything from the first mark on,
    and bench/failover.py rewrites everything from its own mark on."""
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    section = mark + "\n\n" + body.rstrip("\n") + "\n"
    at = text.find(mark)
    if at >= 0:
        following = text.find(SECTION_PREFIX, at + len(mark))
        text = text[:at] + section + ("\n" + text[following:] if following >= 0 else "")
    else:
        first = text.find(SECTION_PREFIX)
        text = (text[:first] + section + "\n" + text[first:]) if first >= 0 else (text.rstrip("\n") + "\n\n" + section)
    path.write_text(text)
