"""A response's Content-Length is a promise the module may wait for, never one it hangs on.

SwiftJK lets the kernel gather the body a Content-Length promises before waking the httpd
thread (SO_RCVLOWAT, docs/architecture.md §5.1). These scripted containers (harness/fakeajp.py)
break or stretch that promise; with either module the client must get what the container sent,
when it sent it give or take a few milliseconds, and the request must end at END_RESPONSE:

  * a Content-Length of 100,000 with 24,000 bytes sent and END_RESPONSE (a servlet that sets a
    length and writes less): the client gets the 24,000 bytes and the end of the response at
    once, not when a timeout fires (the worker has none);
  * a body sent in eight parts 150 ms apart: each part reaches the client well before the next
    one is sent (a download from a slow source);
  * HEAD, answered with a Content-Length and no body.
"""

import socket
import time

from harness import Httpd, module_so, note, require_tools
from harness.fakeajp import FakeAJP, body_chunk, decode_forward_request, end_response, send_headers

FAKE = HTTPD = None
PART = b"p" * 8100  # more than httpd keeps back unflushed (8000 bytes)


def answer(fake, conn, payload):
    request = decode_forward_request(payload)
    uri = request["uri"]
    if uri.endswith("/short"):
        conn.sendall(send_headers(200, headers=[("Content-Type", "text/plain"), ("Content-Length", "100000")]))
        for _ in range(3):
            conn.sendall(body_chunk(b"s" * 8000))
        conn.sendall(end_response(True))
    elif uri.endswith("/slow"):
        conn.sendall(send_headers(200, headers=[("Content-Type", "text/plain"),
                                                ("Content-Length", str(8 * len(PART)))]))
        for _ in range(8):
            conn.sendall(body_chunk(PART))
            time.sleep(0.15)
        conn.sendall(end_response(True))
    elif uri.endswith("/head"):
        conn.sendall(send_headers(200, headers=[("Content-Type", "text/plain"), ("Content-Length", "100000")]) +
                     end_response(True))


def setup_module():
    global FAKE, HTTPD
    require_tools()
    FAKE = FakeAJP(answer, name="promised").start()
    workers = "worker.list=w\nworker.w.host=127.0.0.1\nworker.w.port=%d\n" % FAKE.port
    HTTPD = Httpd(module_so(), workers_properties=workers, jk_directives="JkMount /x/* w", name="httpd-promised")
    HTTPD.start()


def teardown_module():
    if HTTPD:
        HTTPD.stop()
    if FAKE:
        FAKE.stop()


def exchange(method, path, on_bytes=None):
    """Sends one request with Connection: close; returns (raw response, seconds to the close).
    httpd closes the connection when the handler has finished."""
    with socket.create_connection(("127.0.0.1", HTTPD.port), timeout=10) as s:
        started = time.monotonic()
        s.sendall(b"%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % (method, path))
        raw = b""
        while time.monotonic() - started < 10:
            chunk = s.recv(65536)
            if not chunk:
                break
            raw += chunk
            if on_bytes:
                on_bytes(raw, time.monotonic() - started)
        return raw, time.monotonic() - started


def test_a_content_length_the_body_falls_short_of_ends_at_end_response():
    raw, seconds = exchange(b"GET", b"/x/short")
    head, _, body = raw.partition(b"\r\n\r\n")
    note("short body: %d bytes, response over after %.3fs" % (len(body), seconds))
    assert head.startswith(b"HTTP/1.1 200"), head
    assert body == b"s" * 24000, len(body)
    assert seconds < 1.0, "the request ended only after %.3fs: the module waited for bytes never promised" % seconds


def test_a_slowly_sent_body_reaches_the_client_as_it_comes():
    arrivals = []

    def seen(raw, at):
        body = raw.partition(b"\r\n\r\n")[2]
        parts = len(body) // len(PART)
        while len(arrivals) < parts:
            arrivals.append(at)

    raw, seconds = exchange(b"GET", b"/x/slow", seen)
    body = raw.partition(b"\r\n\r\n")[2]
    note("slow body: parts arrived after %s s" % ", ".join("%.3f" % a for a in arrivals))
    assert body == PART * 8, len(body)
    assert len(arrivals) == 8, arrivals
    # Part n leaves the container at about n × 150 ms; it must not wait for the next one.
    late = [(n, a) for n, a in enumerate(arrivals) if a > n * 0.15 + 0.12]
    assert not late, "parts held back: %s" % late


def test_head_with_a_content_length_ends_at_end_response():
    raw, seconds = exchange(b"HEAD", b"/x/head")
    note("HEAD: response over after %.3fs" % seconds)
    assert raw.startswith(b"HTTP/1.1 200"), raw[:100]
    assert b"Content-Length: 100000" in raw, raw
    assert seconds < 1.0, seconds
