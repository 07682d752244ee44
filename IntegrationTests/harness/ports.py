"""Free TCP port allocation on 127.0.0.1.

Ports are found by binding port 0 and reading what the kernel chose, so parallel runs of the
harness do not collide on fixed numbers. The socket is closed before the port is handed out
(the server under test must bind it), which leaves a small race with other processes; to keep
that race away from this process at least, every port handed out here is remembered and never
handed out twice.
"""

import socket
import threading

HOST = "127.0.0.1"

_lock = threading.Lock()
_given = set()


def free_port(max_attempts=50):
    """Return a TCP port on 127.0.0.1 that is free now and not yet handed out by this process."""
    with _lock:
        for _ in range(max_attempts):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind((HOST, 0))
                port = s.getsockname()[1]
            if port not in _given:
                _given.add(port)
                return port
    raise RuntimeError("no free port found after %d attempts" % max_attempts)


def free_ports(n):
    """Return n distinct free ports (see free_port)."""
    return [free_port() for _ in range(n)]


def is_listening(port, host=HOST, timeout=0.2):
    """True if a TCP connect to host:port succeeds (something is bound and listening)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
