"""A container out of step with its own framing must never hand one client another's answer.

Two faults a real Tomcat does not produce, scripted (harness/fakeajp.py):

  * a stray response after END_RESPONSE: read as the answer to the next request on that pooled
    connection, each client would get the previous request's response, and so on down the
    line. SwiftJK peeks at every pooled connection before reuse and drops one with bytes
    waiting (docs/architecture.md §5.1). Debian's mod_jk reuses it; against it the mismatches
    are printed as notes.
  * a body longer than the Content-Length the container announced (0 included): written out
    after a response the client already holds complete, the extra bytes would be read by a
    keep-alive client as the start of its next response. SwiftJK drops them and logs it
    (mod_jk, which buffers small bodies, recomputes the Content-Length instead). For both
    modules the client must get a body exactly as long as its Content-Length, and nothing after
    it, and the next request on that connection must get its own answer.
"""

import time

from harness import Httpd, http, is_reference, module_so, note, require_tools
from harness.fakeajp import FakeAJP, decode_forward_request, ok_response, send_headers, body_chunk, end_response

FAKES = []


def setup_module():
    require_tools()


def teardown_module():
    for fake in FAKES:
        fake.stop()


def serve(behaviour, name):
    fake = FakeAJP(behaviour, name=name).start()
    FAKES.append(fake)
    workers = ("worker.list=w\nworker.w.host=127.0.0.1\nworker.w.port=%d\nworker.w.secret=s\n"
               "worker.w.retry_interval=10\n" % fake.port)
    h = Httpd(module_so(), workers_properties=workers, jk_directives="JkMount /x/* w", name=name)
    h.start()
    return fake, h


def echo_then_stray(fake, conn, payload):
    uri = decode_forward_request(payload)["uri"].encode()
    conn.sendall(ok_response(body=uri))
    time.sleep(0.03)
    conn.sendall(ok_response(body=b"STALE-after-" + uri))


def longer_than_announced(fake, conn, payload):
    uri = decode_forward_request(payload)["uri"]
    announced = "0" if uri.endswith("zero") else "5"
    if uri.endswith("/ok"):
        conn.sendall(ok_response(body=b"ok"))
        return
    status = 403 if uri.endswith("/forbidden") else 200
    conn.sendall(send_headers(status, headers=[("Content-Type", "text/plain"), ("Content-Length", announced)]) +
                 body_chunk(b"0123456789ABCDEFGHIJ") + end_response(True))


def test_a_stray_response_after_end_response_never_reaches_the_next_client():
    _, h = serve(echo_then_stray, "stray")
    try:
        wrong = []
        with http.Client(h.port, timeout=10) as client:
            for i in range(12):
                path = "/x/%d" % i
                r = client.get(path)
                if r.status != 200 or r.body != path.encode():
                    wrong.append((path, r.status, r.body[:40]))
                time.sleep(0.1)
        if is_reference():
            if wrong:
                note("mod_jk handed %d of 12 clients another request's response: %s" % (len(wrong), wrong[:3]))
        else:
            assert not wrong, wrong
    finally:
        h.stop()


def test_a_body_longer_than_its_content_length_is_not_sent_after_the_response():
    _, h = serve(longer_than_announced, "overlong")
    try:
        for path, dropped in (("/x/a", 15), ("/x/zero", 20)):
            request = b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path.encode()
            raw = http.raw_request(h.port, request + b"GET /x/ok HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                                   timeout=5)
            head, _, rest = raw.partition(b"\r\n\r\n")
            lengths = [line.split(b":", 1)[1].strip() for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")]
            assert head.startswith(b"HTTP/1.1 200") and len(lengths) == 1, raw[:300]
            n = int(lengths[0])
            assert rest[:n] == b"0123456789ABCDEFGHIJ"[:n], (path, lengths, rest)
            # What follows the body is the second request's own response, nothing else.
            assert rest[n:].startswith(b"HTTP/1.1 200") and rest.endswith(b"\r\n\r\nok"), (path, rest[:200])
            if not is_reference():
                assert n == 20 - dropped, (path, n)
                log = h.jk_log()
                assert "%d body bytes beyond its Content-Length (%d)" % (dropped, n) in log, log[-600:]
        if not is_reference():
            # A 403 that is only too long is not Tomcat refusing the secret.
            r = http.get(h.url("/x/forbidden"))
            assert r.status == 403 and r.body == b"01234", r
            log = h.jk_log()
            assert "check the AJP secret" not in log, log[-800:]
    finally:
        h.stop()
