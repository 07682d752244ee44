"""Self-checks of harness fixtures that do not involve the JK module (they run even when the
module is not built): the "mute" AJP port and freezing a Tomcat."""

import socket

from harness import Tomcat, http, ports, require_tools

TC = MUTE = None
CPING = b"\x12\x34\x00\x01\x0a"


def setup_module():
    global TC, MUTE
    require_tools()
    TC = Tomcat("fx", "fx1")
    MUTE = Tomcat("mute", "mute1", secret_required_but_missing=True)
    TC.start()
    MUTE.start()
    TC.wait_ready(60)
    MUTE.wait_ready(60)


def teardown_module():
    for t in (TC, MUTE):
        if t:
            t.stop()


def cping(port, timeout=1.0):
    """Send an AJP CPING; return the reply bytes, or None if nothing came within timeout."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(CPING)
        try:
            return s.recv(16)
        except socket.timeout:
            return None


def test_healthy_ajp_port_answers_cping():
    assert cping(TC.ajp_port) == b"AB\x00\x01\x09"   # CPONG


def test_mute_ajp_port_accepts_but_never_answers():
    assert "secretRequired" in MUTE.log_since_start()   # the connector failed to start...
    assert ports.is_listening(MUTE.ajp_port)            # ...yet its port is bound (docs/modjk-behaviour.md §6.2)
    assert cping(MUTE.ajp_port, timeout=1.0) is None


def test_sigstop_freezes_and_sigcont_resumes():
    TC.sigstop()
    try:
        try:
            http.get(TC.url("/"), timeout=1.0)
            raise AssertionError("a stopped JVM answered")
        except socket.timeout:
            pass
    finally:
        TC.sigcont()
    assert http.get(TC.url("/"), timeout=10).status in (200, 404)
