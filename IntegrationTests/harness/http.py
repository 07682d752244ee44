"""Small HTTP client helpers for the tests (http.client and raw sockets, no dependencies).

request() keeps the response headers as an ordered list (duplicates included) because header
order and multiplicity are part of what a front end must preserve. raw_request() exists for
what http.client hides or normalises: the exact status line (`HTTP/1.1 200 200`), odd request
framing, malformed input.
"""

import hashlib
import http.client
import socket
import time
import urllib.parse


class Response:
    """status, reason, headers (list of (name, value) in wire order), body (bytes), elapsed (s)."""

    def __init__(self, status, reason, headers, body, elapsed=0.0, version=11):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.elapsed = elapsed
        self.version = version

    def header(self, name, default=None):
        """First value of header `name` (case-insensitive)."""
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def kv(self):
        """The body's `key=value` lines as a dict (first occurrence wins)."""
        d = {}
        for k, v in self.kv_list():
            d.setdefault(k, v)
        return d

    def kv_list(self):
        """The body's `key=value` lines as an ordered list of pairs."""
        return [tuple(line.split("=", 1)) for line in self.text.splitlines() if "=" in line]

    def sha256(self):
        return hashlib.sha256(self.body).hexdigest()

    def __repr__(self):
        return "<Response %d %s, %d bytes>" % (self.status, self.reason, len(self.body))


class CookieJar:
    """Keeps cookies by name (enough for JSESSIONID stickiness); no domain/path/expiry logic."""

    def __init__(self):
        self.cookies = {}

    def update(self, response):
        for value in response.header_all("Set-Cookie"):
            pair = value.split(";", 1)[0]
            if "=" in pair:
                name, val = pair.split("=", 1)
                self.cookies[name.strip()] = val.strip()

    def header(self):
        return "; ".join("%s=%s" % kv for kv in self.cookies.items())

    @property
    def jsessionid(self):
        return self.cookies.get("JSESSIONID")

    def route(self):
        """The jvmRoute suffix of JSESSIONID (after the last '.'), or None."""
        sid = self.jsessionid
        return sid.rsplit(".", 1)[1] if sid and "." in sid else None


def _split(url):
    u = urllib.parse.urlsplit(url)
    path = u.path or "/"
    if u.query:
        path += "?" + u.query
    return u.hostname, u.port or 80, path


def _send(conn, method, path, headers, body, encode_chunked=False):
    headers = list((headers or {}).items()) if isinstance(headers, dict) else list(headers or [])
    names = {k.lower() for k, _ in headers}
    conn.putrequest(method, path, skip_host="host" in names, skip_accept_encoding=True)
    if body is not None and not encode_chunked and "content-length" not in names \
            and "transfer-encoding" not in names:
        headers.append(("Content-Length", str(len(body))))
    if encode_chunked and "transfer-encoding" not in names:
        headers.append(("Transfer-Encoding", "chunked"))
    for k, v in headers:
        conn.putheader(k, v)
    conn.endheaders(message_body=body, encode_chunked=encode_chunked)


def _read(conn, t0):
    r = conn.getresponse()
    body = r.read()
    return Response(r.status, r.reason, r.getheaders(), body, time.monotonic() - t0, r.version)


def request(method, url, headers=None, body=None, jar=None, timeout=30, encode_chunked=False):
    """One request on a fresh connection. headers: dict or list of pairs (order kept).
    jar: a CookieJar sent as Cookie and updated from Set-Cookie. body: bytes, or an iterable
    of bytes with encode_chunked=True."""
    host, port, path = _split(url)
    headers = list((headers or {}).items()) if isinstance(headers, dict) else list(headers or [])
    if jar is not None and jar.cookies:
        headers.append(("Cookie", jar.header()))
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        t0 = time.monotonic()
        _send(conn, method, path, headers, body, encode_chunked)
        resp = _read(conn, t0)
    finally:
        conn.close()
    if jar is not None:
        jar.update(resp)
    return resp


def get(url, **kw):
    return request("GET", url, **kw)


def chunked_upload(url, data, chunk_size=65536, headers=None, method="POST", timeout=60):
    """Send `data` (bytes) with Transfer-Encoding: chunked, `chunk_size` bytes per chunk."""
    chunks = (data[i:i + chunk_size] for i in range(0, len(data), chunk_size))
    return request(method, url, headers=headers, body=chunks, timeout=timeout, encode_chunked=True)


class Client:
    """A keep-alive connection for several requests (reconnects if the server closed it)."""

    def __init__(self, port, host="127.0.0.1", timeout=30, jar=None):
        self.host, self.port, self.timeout = host, port, timeout
        self.jar = jar
        self.conn = None
        self.connections = 0   # how many TCP connections were opened

    def request(self, method, path, headers=None, body=None):
        headers = list((headers or {}).items()) if isinstance(headers, dict) else list(headers or [])
        if self.jar is not None and self.jar.cookies:
            headers.append(("Cookie", self.jar.header()))
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                self.connections += 1
            try:
                t0 = time.monotonic()
                _send(self.conn, method, path, headers, body)
                resp = _read(self.conn, t0)
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 2:
                    raise
        if resp.header("Connection", "").lower() == "close":
            self.close()
        if self.jar is not None:
            self.jar.update(resp)
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def raw_request(port, data, host="127.0.0.1", timeout=10, max_bytes=64 * 1024 * 1024):
    """Send `data` as-is and read until the server closes (or timeout, or max_bytes).
    Send `Connection: close` in `data` for a prompt end. Returns the raw bytes received."""
    chunks, total = [], 0
    deadline = time.monotonic() + timeout
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(data)
        while total < max_bytes:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    return b"".join(chunks)


def parse_raw_response(raw):
    """Split raw response bytes into (status_line, headers list, body bytes). A chunked body
    is decoded; otherwise the body is everything after the header block."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    headers = [tuple(p.strip() for p in l.split(":", 1)) for l in lines[1:] if ":" in l]
    if any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in headers):
        body = decode_chunked(body)
    return lines[0], headers, body


def decode_chunked(data):
    """Decode a chunked body (trailers ignored); stops at the last chunk or at missing data."""
    out, pos = [], 0
    while True:
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            break
        size = int(data[pos:eol].split(b";")[0].strip() or b"0", 16)
        if size == 0:
            break
        out.append(data[eol + 2:eol + 2 + size])
        pos = eol + 2 + size + 2
    return b"".join(out)


def https_request(method, url, headers=None, body=None, timeout=30, client_cert=None):
    """One request over TLS (certificate not verified: the tests make their own). client_cert:
    (certfile, keyfile) to present. Returns (Response, tls) with tls = {"cipher", "protocol",
    "bits", "session_id" (hex, upper case)} as the client negotiated them."""
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if client_cert:
        ctx.load_cert_chain(*client_cert)
    u = urllib.parse.urlsplit(url)
    path = (u.path or "/") + ("?" + u.query if u.query else "")
    conn = http.client.HTTPSConnection(u.hostname, u.port or 443, timeout=timeout, context=ctx)
    try:
        t0 = time.monotonic()
        _send(conn, method, path, headers, body)
        resp = _read(conn, t0)
        sock = conn.sock
        cipher = sock.cipher() if sock else None
        session = sock.session if sock else None
        tls = {"cipher": cipher[0] if cipher else None, "protocol": sock.version() if sock else None,
               "bits": cipher[2] if cipher else None,
               "session_id": session.id.hex().upper() if session is not None else None}
    finally:
        conn.close()
    return resp, tls
