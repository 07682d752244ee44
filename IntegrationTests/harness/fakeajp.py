"""A scripted AJP13 container on 127.0.0.1 (standard library only: sockets and threads).

FakeAJP plays the Tomcat side of AJP13 (docs/modjk-behaviour.md §5) well or badly, on purpose,
so the tests can see how the module under test copes with a broken backend:

    fake = FakeAJP("garbage").start()     # a behaviour name from BEHAVIOURS
    ... worker.<w>.port=fake.port ...
    fake.stop()

Every connection is served by its own thread. CPING is answered with CPONG unless the behaviour
says otherwise; what happens to a FORWARD_REQUEST is the behaviour. The fake counts what it
saw (`stats()`): connections, CPINGs, requests, requests that arrived on a connection after an
END_RESPONSE with reuse=0, and keeps the last `keep` decoded FORWARD_REQUESTs (`requests`)
for wire-level checks (method code, attributes, route ...).

Nothing here can hang a test: every socket has a timeout, held connections are released after
`hold` seconds or at stop(), and stop() closes the listener and every open connection.
"""

import socket
import struct
import threading
import time

# --- AJP13 constants (docs/modjk-behaviour.md §5) ------------------------------------------

MAGIC_TO_CONTAINER = b"\x12\x34"
MAGIC_FROM_CONTAINER = b"AB"

FORWARD_REQUEST, SHUTDOWN, PING, CPING = 2, 7, 8, 10
SEND_BODY_CHUNK, SEND_HEADERS, END_RESPONSE, GET_BODY_CHUNK, CPONG = 3, 4, 5, 6, 9

METHODS = {1: "OPTIONS", 2: "GET", 3: "HEAD", 4: "POST", 5: "PUT", 6: "DELETE", 7: "TRACE",
           8: "PROPFIND", 9: "PROPPATCH", 10: "MKCOL", 11: "COPY", 12: "MOVE", 13: "LOCK",
           14: "UNLOCK", 15: "ACL", 16: "REPORT", 17: "VERSION-CONTROL", 18: "CHECKIN",
           19: "CHECKOUT", 20: "UNCHECKOUT", 21: "SEARCH", 22: "MKWORKSPACE", 23: "UPDATE",
           24: "LABEL", 25: "MERGE", 26: "BASELINE-CONTROL", 27: "MKACTIVITY"}
METHOD_CODES = {v: k for k, v in METHODS.items()}
STORED_METHOD = 0xFF

REQUEST_HEADER_CODES = {0xA001: "accept", 0xA002: "accept-charset", 0xA003: "accept-encoding",
                        0xA004: "accept-language", 0xA005: "authorization", 0xA006: "connection",
                        0xA007: "content-type", 0xA008: "content-length", 0xA009: "cookie",
                        0xA00A: "cookie2", 0xA00B: "host", 0xA00C: "pragma", 0xA00D: "referer",
                        0xA00E: "user-agent"}

ATTRIBUTE_NAMES = {0x01: "context", 0x02: "servlet_path", 0x03: "remote_user", 0x04: "auth_type",
                   0x05: "query_string", 0x06: "route", 0x07: "ssl_cert", 0x08: "ssl_cipher",
                   0x09: "ssl_session", 0x0A: "req_attribute", 0x0B: "ssl_key_size",
                   0x0C: "secret", 0x0D: "stored_method"}

RESPONSE_HEADER_CODES = {"content-type": 0xA001, "content-language": 0xA002,
                         "content-length": 0xA003, "date": 0xA004, "last-modified": 0xA005,
                         "location": 0xA006, "set-cookie": 0xA007, "set-cookie2": 0xA008,
                         "servlet-engine": 0xA009, "status": 0xA00A, "www-authenticate": 0xA00B}


# --- encoding (container -> web server) ----------------------------------------------------

def ajp_string(s):
    """An AJP string: 2-byte length, bytes, NUL; None = the null string 0xFFFF."""
    if s is None:
        return b"\xff\xff"
    data = s.encode("latin-1") if isinstance(s, str) else bytes(s)
    return struct.pack(">H", len(data)) + data + b"\x00"


def packet(payload, magic=MAGIC_FROM_CONTAINER):
    """A container packet: magic 'AB', 2-byte length, payload."""
    return magic + struct.pack(">H", len(payload)) + payload


def send_headers(status=200, reason=None, headers=(), magic=MAGIC_FROM_CONTAINER):
    """SEND_HEADERS; known names are sent as 0xA0xx codes, like Tomcat does."""
    out = bytes([SEND_HEADERS]) + struct.pack(">H", status) + ajp_string(reason or str(status))
    out += struct.pack(">H", len(headers))
    for name, value in headers:
        code = RESPONSE_HEADER_CODES.get(name.lower())
        out += struct.pack(">H", code) if code else ajp_string(name)
        out += ajp_string(value)
    return packet(out, magic)


def body_chunk(data, announced=None):
    """SEND_BODY_CHUNK; `announced` lies about the chunk length (protocol-error tests)."""
    n = len(data) if announced is None else announced
    return packet(bytes([SEND_BODY_CHUNK]) + struct.pack(">H", n) + data + b"\x00")


def end_response(reuse=True):
    return packet(bytes([END_RESPONSE, 1 if reuse else 0]))


def get_body_chunk(size):
    return packet(bytes([GET_BODY_CHUNK]) + struct.pack(">H", size))


CPONG_PACKET = packet(bytes([CPONG]))


def ok_response(body=b"fake-ajp-ok\n", reuse=True, extra_headers=()):
    headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
    headers += list(extra_headers)
    return send_headers(200, headers=headers) + body_chunk(body) + end_response(reuse)


# --- decoding (web server -> container) ----------------------------------------------------

class _Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def byte(self):
        b = self.data[self.pos]
        self.pos += 1
        return b

    def int16(self):
        (v,) = struct.unpack_from(">H", self.data, self.pos)
        self.pos += 2
        return v

    def string(self):
        n = self.int16()
        if n == 0xFFFF:
            return None
        s = self.data[self.pos:self.pos + n].decode("latin-1")
        if self.data[self.pos + n] != 0:
            raise ValueError("string without NUL at %d" % (self.pos + n))
        self.pos += n + 1
        return s


def decode_forward_request(payload):
    """FORWARD_REQUEST payload (type byte included) -> dict: method_code, method (the stored
    method for 0xFF), protocol, uri, remote_addr, remote_host, server_name, server_port,
    is_ssl, headers [(name, value)] with coded names spelled out, attributes [(name, value)]
    in wire order (req_attribute as ("req_attribute:NAME", value)), attribute_codes."""
    r = _Reader(payload)
    if r.byte() != FORWARD_REQUEST:
        raise ValueError("not a FORWARD_REQUEST")
    req = {"method_code": r.byte()}
    for field in ("protocol", "uri", "remote_addr", "remote_host", "server_name"):
        req[field] = r.string()
    req["server_port"] = r.int16()
    req["is_ssl"] = r.byte()
    headers = []
    for _ in range(r.int16()):
        peek = struct.unpack_from(">H", r.data, r.pos)[0]
        if peek >> 8 == 0xA0:
            r.pos += 2
            name = REQUEST_HEADER_CODES.get(peek, "0x%04X" % peek)
        else:
            name = r.string()
        headers.append((name, r.string()))
    req["headers"] = headers
    attrs, codes = [], []
    while True:
        code = r.byte()
        if code == 0xFF:
            break
        codes.append(code)
        if code == 0x0A:
            name = r.string()
            attrs.append(("req_attribute:" + name, r.string()))
        elif code == 0x0B:
            attrs.append(("ssl_key_size", r.int16()))
        else:
            attrs.append((ATTRIBUTE_NAMES.get(code, "0x%02X" % code), r.string()))
    req["attributes"] = attrs
    req["attribute_codes"] = codes
    stored = dict(attrs).get("stored_method")
    req["method"] = stored if req["method_code"] == STORED_METHOD else \
        METHODS.get(req["method_code"], "?%d" % req["method_code"])
    return req


def header_value(req, name):
    for k, v in req["headers"]:
        if k.lower() == name.lower():
            return v
    return None


def attribute(req, name):
    for k, v in req["attributes"]:
        if k == name:
            return v
    return None


# --- the server ----------------------------------------------------------------------------

GARBAGE = bytes(range(0x00, 0x40)) * 2          # starts 00 01: neither AB, HT nor TLS
HTTP_ANSWER = (b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n"
               b"Connection: close\r\n\r\nnot ajp :-(\n")

BEHAVIOURS = {
    "ok": "a correct reply (200, small body, END_RESPONSE reuse=1)",
    "garbage": "bytes that are not AJP in answer to the request",
    "half": "the first half of a SEND_HEADERS packet, then close",
    "close": "close the connection right after reading the request (no reply at all)",
    "never": "accept and read the request, never answer it (CPING still answered)",
    "no_cpong": "never answer a CPING (requests would be answered)",
    "big_chunk": "SEND_BODY_CHUNK announcing more bytes than the packet holds, as the first reply",
    "big_chunk_after_headers": "SEND_HEADERS (chunked), a body part, then an oversized chunk",
    "bad_magic": "a well-formed reply whose packets start 0x1234 instead of 'AB'",
    "http": "an HTTP/1.1 400 answer to whatever arrives (a port that speaks HTTP), then close",
    "cut_body": "SEND_HEADERS with Content-Length 100000, a body part, then close (a backend "
                "dying in the middle of a download)",
    "reuse0": "a correct reply with END_RESPONSE reuse=0, connection left open",
    "no_end": "SEND_HEADERS with a Content-Length and the whole body, then close without "
              "END_RESPONSE (a backend dying between the body and its end)",
    "second_headers": "SEND_HEADERS, then a second SEND_HEADERS, END_RESPONSE",
    "second_headers_after_body": "SEND_HEADERS (chunked), a body part and a flush, then a "
                                 "second SEND_HEADERS, END_RESPONSE",
}

PARTIAL_BODY = b"partial-body-before-the-fault\n"


class FakeAJP:
    """A scripted AJP13 container. behaviour: a key of BEHAVIOURS, or a callable
    fn(fake, conn, request_payload) that answers one FORWARD_REQUEST itself.

    hold: seconds a held connection ("never", "no_cpong", after "reuse0"...) stays open at
    most. keep: how many decoded FORWARD_REQUESTs to remember (0 = decode none: fastest).
    idle_timeout: seconds an idle connection is kept between requests (stop() ends it anyway).
    """

    def __init__(self, behaviour="ok", name=None, port=None, hold=30.0, keep=0, backlog=128,
                 idle_timeout=600.0):
        if not callable(behaviour) and behaviour not in BEHAVIOURS:
            raise ValueError("unknown behaviour %r" % behaviour)
        self.behaviour = behaviour
        self.name = name or ("fakeajp-%s" % (behaviour if isinstance(behaviour, str) else "custom"))
        self.port = port
        self.hold = hold
        self.keep = keep
        self.backlog = backlog
        self.idle_timeout = idle_timeout    # like Tomcat's AJP keepAliveTimeout (default: none)
        self.requests = []
        self._lock = threading.Lock()
        self._counts = {"connections": 0, "cpings": 0, "requests": 0, "reuse_violations": 0,
                        "open": 0, "errors": 0}
        self._listener = None
        self._conns = set()
        self._stopping = threading.Event()
        self._thread = None

    # ------------------------------------------------------------------ lifecycle

    def start(self):
        from . import ports, procs
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port or ports.free_port()))
        self.port = s.getsockname()[1]
        s.listen(self.backlog)
        s.settimeout(0.2)
        self._listener = s
        self._thread = threading.Thread(target=self._accept_loop, name=self.name, daemon=True)
        self._thread.start()
        procs.register(self)
        return self

    def stop(self):
        from . import procs
        self._stopping.set()
        if self._listener is not None:
            try:
                self._listener.close()
            except OSError:
                pass
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                c.close()
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(2)
        procs.unregister(self)
        return "stopped"

    def stats(self):
        with self._lock:
            return dict(self._counts)

    def reset(self):
        with self._lock:
            for k in self._counts:
                if k != "open":
                    self._counts[k] = 0
            self.requests = []

    def _count(self, key, n=1):
        with self._lock:
            self._counts[key] += n

    # ------------------------------------------------------------------ serving

    def _accept_loop(self):
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            conn.settimeout(self.idle_timeout)
            with self._lock:
                self._conns.add(conn)
                self._counts["connections"] += 1
                self._counts["open"] += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            self._conversation(conn)
        except (OSError, ValueError, IndexError, struct.error):
            self._count("errors")
        finally:
            try:
                conn.close()
            except OSError:
                pass
            with self._lock:
                self._conns.discard(conn)
                self._counts["open"] -= 1

    def _recv_exact(self, conn, n):
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def read_packet(self, conn):
        """(magic, payload) of the next web-server packet, or None at EOF."""
        head = self._recv_exact(conn, 4)
        if head is None:
            return None
        n = struct.unpack(">H", head[2:4])[0]
        payload = self._recv_exact(conn, n) if n else b""
        if payload is None:
            return None
        return head[:2], payload

    def hold_open(self, conn):
        """Keep the connection open, reading and discarding, until the peer closes, `hold`
        seconds pass, or stop()."""
        deadline = time.monotonic() + self.hold
        conn.settimeout(0.2)
        while not self._stopping.is_set() and time.monotonic() < deadline:
            try:
                if not conn.recv(65536):
                    return
            except socket.timeout:
                continue

    def read_body(self, conn, req_payload):
        """Consume the request body the way Tomcat does: the first packet comes unasked when
        Content-Length > 0; further ones on GET_BODY_CHUNK; an empty packet ends it; without
        Content-Length (chunked) everything is asked for. Returns the body bytes."""
        req = decode_forward_request(req_payload)
        cl = header_value(req, "content-length")
        length = int(cl) if cl is not None else -1
        if length == 0:
            return b""
        body = b""
        first = length > 0
        while True:
            if not first:
                conn.sendall(get_body_chunk(8186))
            first = False
            got = self.read_packet(conn)
            if got is None:
                return body
            _, payload = got
            if len(payload) < 2:
                return body
            n = struct.unpack(">H", payload[:2])[0]
            if n == 0:
                return body
            body += payload[2:2 + n]
            if length > 0 and len(body) >= length:
                return body

    def _conversation(self, conn):
        b = self.behaviour
        after_reuse0 = False
        served = 0
        while not self._stopping.is_set():
            got = self.read_packet(conn)
            if got is None:
                return
            magic, payload = got
            if b == "http":
                conn.sendall(HTTP_ANSWER)
                return
            if after_reuse0:
                self._count("reuse_violations")
            if payload[:1] == bytes([CPING]):
                self._count("cpings")
                if b == "no_cpong":
                    self.hold_open(conn)
                    return
                conn.sendall(CPONG_PACKET)
                continue
            if payload[:1] != bytes([FORWARD_REQUEST]):
                self._count("errors")
                return
            self._count("requests")
            served += 1
            if self.keep:
                try:
                    req = decode_forward_request(payload)
                except (ValueError, IndexError, struct.error) as e:
                    req = {"error": repr(e), "raw": payload}
                with self._lock:
                    self.requests.append(req)
                    del self.requests[:-self.keep]
            if callable(b):
                if b(self, conn, payload) is False:
                    return
                continue
            if b in ("ok", "no_cpong"):
                self.read_body(conn, payload)
                conn.sendall(ok_response())
            elif b == "reuse0":
                self.read_body(conn, payload)
                conn.sendall(ok_response(reuse=False))
                after_reuse0 = True
            elif b == "garbage":
                conn.sendall(GARBAGE)
                self.hold_open(conn)
                return
            elif b == "half":
                whole = send_headers(200, headers=[("Content-Type", "text/plain")])
                conn.sendall(whole[:len(whole) // 2])
                time.sleep(0.005)
                return
            elif b == "close":
                return
            elif b == "never":
                self.hold_open(conn)
                return
            elif b == "big_chunk":
                conn.sendall(body_chunk(b"x" * 100, announced=60000))
                self.hold_open(conn)
                return
            elif b == "big_chunk_after_headers":
                conn.sendall(send_headers(200, headers=[("Content-Type", "text/plain")]) +
                             body_chunk(PARTIAL_BODY) + body_chunk(b"", announced=0) +
                             body_chunk(b"y" * 100, announced=60000))
                self.hold_open(conn)
                return
            elif b == "cut_body":
                conn.sendall(send_headers(200, headers=[("Content-Type", "text/plain"),
                                                        ("Content-Length", "100000")]) +
                             body_chunk(PARTIAL_BODY))
                time.sleep(0.005)
                return
            elif b == "no_end":
                conn.sendall(send_headers(200, headers=[("Content-Type", "text/plain"),
                                                        ("Content-Length", str(len(PARTIAL_BODY)))]) +
                             body_chunk(PARTIAL_BODY))
                time.sleep(0.005)
                return
            elif b == "bad_magic":
                conn.sendall(send_headers(200, headers=[("Content-Type", "text/plain")],
                                          magic=MAGIC_TO_CONTAINER))
                self.hold_open(conn)
                return
            elif b == "second_headers":
                conn.sendall(send_headers(200, headers=[("Content-Type", "text/plain")]) +
                             send_headers(200, headers=[("Content-Type", "text/plain")]) +
                             end_response(True))
                self.hold_open(conn)
                return
            elif b == "second_headers_after_body":
                conn.sendall(send_headers(200, headers=[("Content-Type", "text/plain")]) +
                             body_chunk(PARTIAL_BODY) + body_chunk(b"", announced=0))
                time.sleep(0.02)
                conn.sendall(send_headers(200, headers=[("Content-Type", "text/plain")]) +
                             body_chunk(b"after-second-headers\n") + end_response(True))
                self.hold_open(conn)
                return
        return served

    def __repr__(self):
        return "FakeAJP(%s port=%s)" % (self.behaviour, self.port)
