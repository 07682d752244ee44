"""Many requests, fast, over keep-alive connections, with every outcome classified.

A minimal HTTP/1.1 client on raw sockets: it must see what http.client hides, chiefly a
response that ends early (a chunked body without its last chunk, fewer bytes than
Content-Length) -- what a client gets when the backend fails in the middle of a response.

    outcome = fetch(sock_or_None, port, "GET", "/x.jsp")   # one request
    counts = hammer(port, "/x.jsp", count=1000, concurrency=8, deadline_s=30)

Outcomes are 200, 502, ... (complete responses), "truncated:<status>" (headers came, body
did not end properly: the connection closed first), "no-response" (closed or reset before
a status line), "timeout:<status or ->".
"""

import collections
import socket
import threading
import time


class Truncated(Exception):
    pass


class RawResponse:
    def __init__(self, status, headers, body, complete, raw_tail=b""):
        self.status = status
        self.headers = headers
        self.body = body
        self.complete = complete
        self.raw_tail = raw_tail

    def header(self, name, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    @property
    def outcome(self):
        return self.status if self.complete else "truncated:%d" % self.status

    def __repr__(self):
        return "<RawResponse %s %d bytes%s>" % (self.status, len(self.body),
                                                "" if self.complete else " TRUNCATED")


class _Conn:
    def __init__(self, port, timeout):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError
        self.buf += chunk

    def readline(self):
        while b"\r\n" not in self.buf:
            self.fill()
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def read(self, n):
        while len(self.buf) < n:
            self.fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def read_response(conn, head_only=False):
    """Parse one response from conn. Returns RawResponse (complete=False if the connection
    ended inside the body). Raises EOFError if it ended before the status line."""
    line = conn.readline()
    while not line:                      # tolerate stray CRLF
        line = conn.readline()
    parts = line.decode("iso-8859-1").split(" ", 2)
    status = int(parts[1])
    headers = []
    try:
        while True:
            h = conn.readline()
            if not h:
                break
            k, _, v = h.decode("iso-8859-1").partition(":")
            headers.append((k.strip(), v.strip()))
    except EOFError:
        return RawResponse(status, headers, b"", False)
    resp = RawResponse(status, headers, b"", True)
    if head_only or status in (204, 304) or 100 <= status < 200:
        return resp
    te = (resp.header("Transfer-Encoding") or "").lower()
    cl = resp.header("Content-Length")
    body = []
    try:
        if "chunked" in te:
            while True:
                size = int(conn.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while conn.readline():   # trailers up to the empty line
                        pass
                    break
                body.append(conn.read(size))
                if conn.read(2) != b"\r\n":
                    resp.complete = False
                    break
        elif cl is not None:
            body.append(conn.read(int(cl)))
        else:
            while True:                      # until close
                try:
                    conn.fill()
                except EOFError:
                    break
            body.append(conn.buf)
            conn.buf = b""
    except EOFError:
        body.append(conn.buf)
        conn.buf = b""
        resp.complete = False
    resp.body = b"".join(body)
    return resp


def request_bytes(method, path, headers=None, body=None, host="127.0.0.1"):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s" % host]
    names = set()
    for k, v in (headers or []):
        lines.append("%s: %s" % (k, v))
        names.add(k.lower())
    if body is not None and "content-length" not in names and "transfer-encoding" not in names:
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


class KeepAlive:
    """One keep-alive client connection that reconnects when the server closed it."""

    def __init__(self, port, timeout=30.0):
        self.port, self.timeout = port, timeout
        self.conn = None
        self.connections = 0

    def request(self, method, path, headers=None, body=None):
        """Returns a RawResponse, or raises EOFError / OSError / socket.timeout."""
        data = request_bytes(method, path, headers, body)
        for attempt in (1, 2):
            fresh = self.conn is None
            if fresh:
                self.conn = _Conn(self.port, self.timeout)
                self.connections += 1
            try:
                self.conn.sock.sendall(data)
                resp = read_response(self.conn, head_only=(method == "HEAD"))
                break
            except (EOFError, ConnectionResetError, BrokenPipeError):
                self.close()
                # A kept-alive connection the server closed while idle: retry once, fresh.
                if fresh or attempt == 2:
                    raise
        if not resp.complete or (resp.header("Connection") or "").lower() == "close":
            self.close()
        return resp

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def outcome_of(client, method, path, headers=None, body=None):
    """One request on a KeepAlive; the classified outcome (status, 'truncated:S', ...)."""
    try:
        return client.request(method, path, headers, body).outcome
    except socket.timeout:
        client.close()
        return "timeout"
    except (EOFError, ConnectionResetError, BrokenPipeError):
        client.close()
        return "no-response"
    except OSError as e:
        client.close()
        return "error:%s" % type(e).__name__


def hammer(port, path, count, concurrency=8, deadline_s=60.0, method="GET", headers=None,
           timeout=30.0):
    """`count` requests spread over `concurrency` keep-alive clients, stopping early at the
    deadline. Returns (Counter of outcomes, elapsed seconds, connections opened)."""
    counts = collections.Counter()
    lock = threading.Lock()
    left = [count]
    deadline = time.monotonic() + deadline_s
    opened = [0]

    def worker():
        client = KeepAlive(port, timeout=timeout)
        try:
            while time.monotonic() < deadline:
                with lock:
                    if left[0] <= 0:
                        break
                    left[0] -= 1
                o = outcome_of(client, method, path, headers)
                with lock:
                    counts[o] += 1
        finally:
            client.close()
            with lock:
                opened[0] += client.connections

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.1, deadline - time.monotonic() + timeout + 5))
    return counts, time.monotonic() - t0, opened[0]
