"""What a FORWARD_REQUEST carries (issue 4: the complete AJP13 client), seen from both ends:

* from Tomcat (echo.jsp, method.jsp): every method reaches getMethod(); remote user and auth
  type from httpd's Basic auth (connector tomcatAuthentication="false"); the query string;
  AJP_REMOTE_PORT / AJP_LOCAL_ADDR as getRemotePort() / getLocalAddr(); JK_LB_ACTIVATION;
  TLS facts through a mod_ssl vhost (isSecure, https, cipher, key size as an Integer, session
  id, protocol, client certificate); JkEnvVar values (connector
  allowedRequestAttributesPattern); the JK_REMOTE_* / JK_LOCAL_* environment overrides and
  the Jk*Indicator directives that rename them;
* on the wire (harness/fakeajp.py recording the decoded packets): method codes, an unknown
  method as 0xFF plus the stored-method attribute, the route attribute and JK_LB_ACTIVATION
  through an lb (an active and a disabled member), attribute order, key size as an int.

One Tomcat (AJP secret), one recording fake AJP backend, one httpd with three servers: the
main one (plain HTTP, Basic auth on /echo.jsp?auth=1, SetEnvIf from X-Jk-* headers), a TLS
vhost (self-signed certificates made with openssl, optional client certificate) and a vhost
whose Jk*Indicator directives name other variables.
"""

import base64
import hashlib
import socket
import time

from harness import (Httpd, SkipTest, Tomcat, ajp13_worker_lines, http, is_reference, module_so,
                     note, ports, require_tools)
from harness import certs, fakeajp
from harness.fakeajp import FakeAJP, attribute

SECRET = "request-facts-secret"
USER, PASSWORD = "alice", "wonder land:42"
TC = HTTPD = REC = REC_R1 = REC_R2 = None
SSL_PORT = CUSTOM_PORT = NOEXTRACT_PORT = None
SERVER_CERT = CLIENT_CERT = None

# Every method with an AJP code except HEAD and TRACE (own tests), then two without a code.
CODED = [m for c, m in sorted(fakeajp.METHODS.items()) if m not in ("HEAD", "TRACE")]
UNCODED = ["PATCH", "BREW"]
WITH_BODY = {"POST", "PUT", "PATCH", "PROPFIND", "PROPPATCH", "REPORT", "SEARCH", "LOCK"}

CUSTOM = {"MY_ADDR": "198.51.100.7", "MY_RPORT": "4711", "MY_RHOST": "client.example",
          "MY_USER": "carol", "MY_AUTH": "Negotiate", "MY_LNAME": "inside.example",
          "MY_LADDR": "192.0.2.80", "MY_LPORT": "8444"}


def setup_module():
    global TC, HTTPD, REC, REC_R1, REC_R2, SSL_PORT, CUSTOM_PORT, NOEXTRACT_PORT, SERVER_CERT, CLIENT_CERT
    require_tools()
    so = module_so()
    TC = Tomcat("facts", "facts1", secret=SECRET, extra_connector_attrs={
        "tomcatAuthentication": "false", "allowedRequestAttributesPattern": "MY_.*"})
    TC.start()
    REC = FakeAJP("ok", name="fakeajp-rec", keep=50).start()
    REC_R1 = FakeAJP("ok", name="fakeajp-r1", keep=50).start()
    REC_R2 = FakeAJP("ok", name="fakeajp-r2", keep=50).start()
    SSL_PORT, CUSTOM_PORT, NOEXTRACT_PORT = ports.free_ports(3)
    workers = "\n".join(
        ["worker.list=w,rec,lbw"] + ajp13_worker_lines(TC, name="w") +
        ["worker.rec.type=ajp13", "worker.rec.host=127.0.0.1", "worker.rec.port=%d" % REC.port,
         "worker.rec.secret=%s" % SECRET,
         "worker.r1.type=ajp13", "worker.r1.host=127.0.0.1", "worker.r1.port=%d" % REC_R1.port,
         "worker.r2.type=ajp13", "worker.r2.host=127.0.0.1", "worker.r2.port=%d" % REC_R2.port,
         "worker.r2.activation=D",
         "worker.lbw.type=lb", "worker.lbw.balance_workers=r1,r2"]) + "\n"
    mounts = "JkMount /*.jsp w\nJkMount /wire/* rec\nJkMount /lbwire/* lbw"
    HTTPD = Httpd(so, workers_properties=workers, name="httpd-facts",
                  modules=["auth_basic", "authn_file", "authz_user", "ssl", "socache_shmcb",
                           "setenvif", "env"],
                  jk_directives=mounts + "\nJkEnvVar MY_VAR\nJkEnvVar MY_DEFAULTED fallback-value\n"
                                         "JkEnvVar MY_UNSET\n")
    root = HTTPD.create()
    SERVER_CERT = certs.self_signed(root / "conf", "server")
    CLIENT_CERT = certs.self_signed(root / "conf", "client", cn="swiftjk-test-client")
    htpasswd = root / "conf" / "htpasswd"
    htpasswd.write_text("%s:{SHA}%s\n" % (USER, base64.b64encode(
        hashlib.sha1(PASSWORD.encode()).digest()).decode()))
    htpasswd.chmod(0o644)
    set_env_if = "\n".join('SetEnvIf X-Jk-%s "^(.+)$" JK_%s=$1' % (h, v) for h, v in (
        ("Remote-Addr", "REMOTE_ADDR"), ("Remote-Port", "REMOTE_PORT"), ("Remote-Host", "REMOTE_HOST"),
        ("Remote-User", "REMOTE_USER"), ("Auth-Type", "AUTH_TYPE"), ("Local-Name", "LOCAL_NAME"),
        ("Local-Addr", "LOCAL_ADDR"), ("Local-Port", "LOCAL_PORT")))
    indicators = "\n".join("    Jk%sIndicator %s" % (d, v) for d, v in (
        ("RemoteAddr", "MY_ADDR"), ("RemotePort", "MY_RPORT"), ("RemoteHost", "MY_RHOST"),
        ("RemoteUser", "MY_USER"), ("AuthType", "MY_AUTH"), ("LocalName", "MY_LNAME"),
        ("LocalAddr", "MY_LADDR"), ("LocalPort", "MY_LPORT")))
    setenv_custom = "\n".join("    SetEnv %s %s" % kv for kv in CUSTOM.items())
    HTTPD.extra_conf = f"""
Listen 127.0.0.1:{SSL_PORT}
Listen 127.0.0.1:{CUSTOM_PORT}
Listen 127.0.0.1:{NOEXTRACT_PORT}
SSLSessionCache "shmcb:{root}/logs/ssl_scache(512000)"
# Basic auth only when asked for (?auth=1), so the same pages serve the other tests.
<LocationMatch "^/(wire/)?echo\\.jsp$">
    <If "%{{QUERY_STRING}} =~ /(^|&)auth=1(&|$)/">
        AuthType Basic
        AuthName "swiftjk-test"
        AuthBasicProvider file
        AuthUserFile "{htpasswd}"
        Require valid-user
    </If>
</LocationMatch>
{set_env_if}
SetEnv MY_VAR from-setenv
<VirtualHost 127.0.0.1:{SSL_PORT}>
    ServerName 127.0.0.1
    SSLEngine on
    SSLCertificateFile "{SERVER_CERT[0]}"
    SSLCertificateKeyFile "{SERVER_CERT[1]}"
    SSLOptions +StdEnvVars +ExportCertData
    SSLVerifyClient optional_no_ca
    SSLVerifyDepth 1
    JkMount /*.jsp w
    JkMount /wire/* rec
</VirtualHost>
<VirtualHost 127.0.0.1:{NOEXTRACT_PORT}>
    ServerName 127.0.0.1
    SSLEngine on
    SSLCertificateFile "{SERVER_CERT[0]}"
    SSLCertificateKeyFile "{SERVER_CERT[1]}"
    SSLOptions +StdEnvVars +ExportCertData
    JkExtractSSL Off
    JkMount /*.jsp w
</VirtualHost>
<VirtualHost 127.0.0.1:{CUSTOM_PORT}>
    ServerName 127.0.0.1
{indicators}
{setenv_custom}
    JkMount /*.jsp w
    JkMount /wire/* rec
</VirtualHost>
"""
    HTTPD.write_config()
    TC.wait_ready(60)
    TC.precompile()
    HTTPD.configtest_and_start()


def teardown_module():
    if HTTPD:
        HTTPD.stop()
    for f in (REC, REC_R1, REC_R2):
        if f:
            f.stop()
    if TC:
        TC.stop()


def basic_auth(user=USER, password=PASSWORD):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def last_request(fake, timeout=2.0):
    deadline = time.monotonic() + timeout
    while not fake.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    assert fake.requests, "the fake backend recorded no request"
    return fake.requests[-1]


# ------------------------------------------------------------------ methods

def test_every_method_reaches_tomcat():
    bad = []
    for m in CODED + UNCODED:
        body = ("<%s/>" % m.lower()).encode() * 50 if m in WITH_BODY else None
        headers = {"Content-Type": "application/xml"} if body else {}
        r = http.request(m, HTTPD.url("/method.jsp?m=%s" % m), headers=headers, body=body)
        kv = r.kv()
        want_len = str(len(body)) if body else "0"
        if r.status != 200 or kv.get("method") != m or kv.get("length") != want_len or \
                (body and kv.get("sha256") != hashlib.sha256(body).hexdigest()):
            bad.append((m, r.status, r.text[:200]))
    assert not bad, "methods that did not arrive intact: %s" % bad
    # Tomcat writes its access log behind the response: wait for the last lines (bounded).
    deadline = time.monotonic() + 10
    while True:
        log = TC.access_log()
        missing = [m for m in CODED + UNCODED if '"%s /method.jsp?m=%s HTTP/1.1" 200' % (m, m) not in log]
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert not missing, "Tomcat's access log lacks %s" % missing


def test_head_reaches_tomcat_as_head():
    r = http.request("HEAD", HTTPD.url("/method.jsp?m=HEAD"))
    assert r.status == 200 and r.body == b"", r
    assert r.header("X-Seen-Method") == "HEAD", r.headers


def test_trace():
    r = http.request("TRACE", HTTPD.url("/method.jsp?m=TRACE"))
    if r.status == 405 or (r.header("Content-Type") or "").startswith("message/http"):
        raise SkipTest("httpd answers TRACE itself (%d %s): it never reaches the module"
                       % (r.status, r.header("Content-Type")))
    assert r.status == 200 and r.kv().get("method") == "TRACE", r.text


def test_method_codes_on_the_wire():
    """Coded methods travel as their code; others as 0xFF + attribute 0x0D (stored method)."""
    wrong = []
    for m in CODED + ["HEAD"] + UNCODED:
        REC.reset()
        r = http.request(m, HTTPD.url("/wire/m?%s" % m))
        assert r.status == 200, (m, r)
        req = last_request(REC)
        code = fakeajp.METHOD_CODES.get(m, fakeajp.STORED_METHOD)
        stored = attribute(req, "stored_method")
        if req["method_code"] != code or req["method"] != m or \
                (code == fakeajp.STORED_METHOD) != (stored is not None):
            wrong.append((m, req["method_code"], stored))
    assert not wrong, "wrong method encoding (method, code, stored_method): %s" % wrong


# ------------------------------------------------------------------ attributes seen by Tomcat

def test_remote_user_and_auth_type_from_basic_auth():
    r = http.get(HTTPD.url("/echo.jsp?auth=1"))
    assert r.status == 401, "no credentials must be refused by httpd: %s" % r
    r = http.get(HTTPD.url("/echo.jsp?auth=1"), headers={"Authorization": basic_auth()})
    assert r.status == 200, r
    kv = r.kv()
    assert kv["remoteUser"] == USER, kv
    assert kv["authType"] == "Basic", kv
    r = http.get(HTTPD.url("/echo.jsp"))
    assert r.kv()["remoteUser"] == "null" and r.kv()["authType"] == "null", r.text


def test_query_string_verbatim():
    q = "a=1&b=%20x&c=%E2%82%AC&empty=&flag&plus=1+2&slash=%2F&semi=;x"
    r = http.get(HTTPD.url("/echo.jsp?" + q))
    assert r.status == 200, r
    assert r.kv()["queryString"] == q, r.kv()["queryString"]
    assert http.get(HTTPD.url("/echo.jsp")).kv()["queryString"] == "null"
    assert http.get(HTTPD.url("/echo.jsp?")).kv()["queryString"] in ("null", ""), "empty query"


def test_remote_port_local_addr_and_activation():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        client_port = s.getsockname()[1]
        s.settimeout(10)
        s.connect(("127.0.0.1", HTTPD.port))
        s.sendall(b"GET /echo.jsp HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        raw = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            raw += chunk
    _, _, body = http.parse_raw_response(raw)
    kv = dict(l.split("=", 1) for l in body.decode().splitlines() if "=" in l)
    assert kv["remotePort"] == str(client_port), (kv["remotePort"], client_port)
    assert kv["localAddr"] == "127.0.0.1", kv
    assert kv.get("attr.JK_LB_ACTIVATION") == "ACT", kv


def test_tls_facts_reach_tomcat():
    resp, tls = http.https_request("GET", "https://127.0.0.1:%d/echo.jsp" % SSL_PORT,
                                   client_cert=CLIENT_CERT)
    assert resp.status == 200, resp
    kv = resp.kv()
    note("client negotiated %s; Tomcat saw cipher=%s key_size=%s protocol=%s session=%s"
         % (tls, kv.get("attr.jakarta.servlet.request.cipher_suite"),
            kv.get("attr.jakarta.servlet.request.key_size"),
            kv.get("attr.org.apache.tomcat.util.net.secure_protocol_version"),
            kv.get("attr.jakarta.servlet.request.ssl_session_id")))
    assert kv["isSecure"] == "true" and kv["scheme"] == "https", kv
    assert kv["serverPort"] == str(SSL_PORT), kv
    assert kv.get("attr.jakarta.servlet.request.cipher_suite") == tls["cipher"], (kv, tls)
    assert kv.get("attr.jakarta.servlet.request.key_size") == str(tls["bits"]), (kv, tls)
    assert kv.get("attr.jakarta.servlet.request.key_size.type") == "java.lang.Integer", kv
    sid = kv.get("attr.jakarta.servlet.request.ssl_session_id", "")
    assert sid and all(c in "0123456789ABCDEFabcdef" for c in sid), kv
    # AJP_SSL_PROTOCOL: Tomcat 10.1 names it org.apache.tomcat.util.net.secure_protocol_version
    # (jakarta.servlet.request.secure_protocol is Servlet 6.1, Tomcat 11).
    protocol = kv.get("attr.jakarta.servlet.request.secure_protocol") or \
        kv.get("attr.org.apache.tomcat.util.net.secure_protocol_version")
    assert protocol == tls["protocol"], (kv, tls)
    assert kv.get("attr.jakarta.servlet.request.X509Certificate.count") == "1", kv


def test_tls_without_a_client_certificate_sends_no_certificate():
    """mod_ssl sets SSL_CLIENT_CERT to "" when the client presents none; like mod_jk, no
    certificate attribute then (Tomcat would give the application an empty array)."""
    resp, tls = http.https_request("GET", "https://127.0.0.1:%d/echo.jsp" % SSL_PORT)
    assert resp.status == 200, resp
    kv = resp.kv()
    assert kv["isSecure"] == "true", kv
    assert "attr.jakarta.servlet.request.X509Certificate.count" not in kv, kv
    assert kv.get("attr.jakarta.servlet.request.cipher_suite") == tls["cipher"], (kv, tls)
    REC.reset()
    resp, _ = http.https_request("GET", "https://127.0.0.1:%d/wire/x" % SSL_PORT)
    assert resp.status == 200, resp
    req = last_request(REC)
    assert attribute(req, "ssl_cert") is None and attribute(req, "ssl_cipher"), req["attributes"]


def test_jk_extract_ssl_off_marks_nothing_secure():
    """JkExtractSSL Off: like mod_jk, Tomcat sees plain http (not secure, no TLS facts), even
    though the connection is TLS."""
    resp, _ = http.https_request("GET", "https://127.0.0.1:%d/echo.jsp" % NOEXTRACT_PORT,
                                 client_cert=CLIENT_CERT)
    assert resp.status == 200, resp
    kv = resp.kv()
    assert kv["isSecure"] == "false" and kv["scheme"] == "http", kv
    assert not [k for k in kv if k.startswith("attr.jakarta.servlet.request.")], kv


def test_upload_over_tls():
    """A 2 MiB upload with a Content-Length through mod_ssl: the body packets the module sends
    ahead of Tomcat's asks are read without waiting through mod_ssl's input filter."""
    import hashlib
    import os
    body = os.urandom(2 * 1024 * 1024 + 123)
    resp, _ = http.https_request("POST", "https://127.0.0.1:%d/post.jsp" % SSL_PORT, body=body,
                                 headers={"Content-Type": "application/octet-stream"}, timeout=60)
    assert resp.status == 200, resp
    kv = resp.kv()
    assert kv["length"] == str(len(body)), kv
    assert kv["sha256"] == hashlib.sha256(body).hexdigest(), kv


def test_plain_http_has_no_tls_facts():
    kv = http.get(HTTPD.url("/echo.jsp")).kv()
    assert kv["isSecure"] == "false" and kv["scheme"] == "http", kv
    assert not [k for k in kv if k.startswith("attr.jakarta.servlet.request.")], kv


def test_jk_env_var():
    r = http.get(HTTPD.url("/echo.jsp?attrs=MY_VAR,MY_DEFAULTED,MY_UNSET"))
    assert r.status == 200, r
    kv = r.kv()
    assert kv["attr.MY_VAR"] == "from-setenv", kv            # set at runtime (SetEnv)
    assert kv["attr.MY_DEFAULTED"] == "fallback-value", kv   # unset: the JkEnvVar default
    assert kv["attr.MY_UNSET"] == "null", kv                 # unset, no default: not sent


OVERRIDE_HEADERS = {
    "X-Jk-Remote-Addr": "203.0.113.5", "X-Jk-Remote-Port": "5150", "X-Jk-Remote-Host": "far.example",
    "X-Jk-Remote-User": "bob", "X-Jk-Auth-Type": "Digest", "X-Jk-Local-Name": "backstage.example",
    "X-Jk-Local-Addr": "192.0.2.10", "X-Jk-Local-Port": "8081"}
TOMCAT_VIEW = ("remoteAddr", "remotePort", "remoteUser", "authType", "localName", "localAddr",
               "localPort")


def wire_view(req):
    """The overridable facts as the fake backend decoded them."""
    return {"remote_addr": req["remote_addr"], "remote_host": req["remote_host"],
            "server_name": req["server_name"], "server_port": req["server_port"],
            "remote_user": attribute(req, "remote_user"), "auth_type": attribute(req, "auth_type"),
            "AJP_REMOTE_PORT": attribute(req, "req_attribute:AJP_REMOTE_PORT"),
            "AJP_LOCAL_ADDR": attribute(req, "req_attribute:AJP_LOCAL_ADDR")}


def test_environment_overrides_default_names():
    """JK_REMOTE_ADDR & co. (set here with SetEnvIf from request headers) replace what is
    forwarded. Tomcat (enableLookups=false) answers getRemoteHost() with the address, so
    remote_host is checked on the wire only; JK_LOCAL_PORT is the AJP server_port, which
    Tomcat reports as getLocalPort()."""
    r = http.get(HTTPD.url("/echo.jsp"), headers=OVERRIDE_HEADERS)
    assert r.status == 200, r
    kv = r.kv()
    got = {k: kv[k] for k in TOMCAT_VIEW}
    REC.reset()
    assert http.get(HTTPD.url("/wire/echo.jsp"), headers=OVERRIDE_HEADERS).status == 200
    wire = wire_view(last_request(REC))
    note("Tomcat saw %s; on the wire %s" % (got, wire))
    assert wire == {"remote_addr": "203.0.113.5", "remote_host": "far.example",
                    "server_name": "backstage.example", "server_port": 8081, "remote_user": "bob",
                    "auth_type": "Digest", "AJP_REMOTE_PORT": "5150",
                    "AJP_LOCAL_ADDR": "192.0.2.10"}, wire
    assert got == {"remoteAddr": "203.0.113.5", "remotePort": "5150", "remoteUser": "bob",
                   "authType": "Digest", "localName": "backstage.example",
                   "localAddr": "192.0.2.10", "localPort": "8081"}, got


def test_environment_overrides_custom_indicators():
    """A vhost whose Jk*Indicator directives name other variables (set with SetEnv)."""
    r = http.get("http://127.0.0.1:%d/echo.jsp" % CUSTOM_PORT)
    assert r.status == 200, r
    kv = r.kv()
    got = {k: kv[k] for k in TOMCAT_VIEW}
    REC.reset()
    # The default names mean nothing in that vhost any more.
    assert http.get("http://127.0.0.1:%d/wire/echo.jsp" % CUSTOM_PORT,
                    headers=OVERRIDE_HEADERS).status == 200
    wire = wire_view(last_request(REC))
    note("Tomcat saw %s; on the wire %s" % (got, wire))
    assert wire == {"remote_addr": CUSTOM["MY_ADDR"], "remote_host": CUSTOM["MY_RHOST"],
                    "server_name": CUSTOM["MY_LNAME"], "server_port": int(CUSTOM["MY_LPORT"]),
                    "remote_user": CUSTOM["MY_USER"], "auth_type": CUSTOM["MY_AUTH"],
                    "AJP_REMOTE_PORT": CUSTOM["MY_RPORT"], "AJP_LOCAL_ADDR": CUSTOM["MY_LADDR"]}, wire
    assert got == {"remoteAddr": CUSTOM["MY_ADDR"], "remotePort": CUSTOM["MY_RPORT"],
                   "remoteUser": CUSTOM["MY_USER"], "authType": CUSTOM["MY_AUTH"],
                   "localName": CUSTOM["MY_LNAME"], "localAddr": CUSTOM["MY_LADDR"],
                   "localPort": CUSTOM["MY_LPORT"]}, got


# ------------------------------------------------------------------ attributes on the wire

# mod_jk's attribute order (docs/modjk-behaviour.md §5.2): secret, remote_user, auth_type, query_string, route, cert,
# cipher, session, key_size, stored_method, then the req_attributes.
ORDER = ["secret", "remote_user", "auth_type", "query_string", "route", "ssl_cert", "ssl_cipher",
         "ssl_session", "ssl_key_size", "stored_method", "req_attribute:AJP_SSL_PROTOCOL",
         "req_attribute:AJP_REMOTE_PORT", "req_attribute:AJP_LOCAL_ADDR",
         "req_attribute:JK_LB_ACTIVATION", "req_attribute:MY_VAR", "req_attribute:MY_DEFAULTED"]


def test_every_attribute_on_the_wire_in_order():
    REC.reset()
    resp, tls = http.https_request("PATCH", "https://127.0.0.1:%d/wire/echo.jsp?auth=1&x=y" % SSL_PORT,
                                   headers={"Authorization": basic_auth()}, body=b"patch-body",
                                   client_cert=CLIENT_CERT)
    assert resp.status == 200, resp
    req = last_request(REC)
    names = [n for n, _ in req["attributes"]]
    note("attributes on the wire: %s" % names)
    a = dict(req["attributes"])
    assert a.get("secret") == SECRET, a
    assert a.get("remote_user") == USER and a.get("auth_type") == "Basic", a
    assert a.get("query_string") == "auth=1&x=y", a
    assert "BEGIN CERTIFICATE" in (a.get("ssl_cert") or ""), a.get("ssl_cert")
    assert a.get("ssl_cipher") == tls["cipher"], (a, tls)
    assert a.get("ssl_key_size") == tls["bits"], (a, tls)       # decoded as a 2-byte int
    assert a.get("ssl_session"), a
    assert a.get("stored_method") == "PATCH" and req["method_code"] == 0xFF, req
    assert a.get("req_attribute:AJP_SSL_PROTOCOL") == tls["protocol"], a
    assert a.get("req_attribute:JK_LB_ACTIVATION") == "ACT", a
    assert a.get("req_attribute:MY_VAR") == "from-setenv", a
    assert "req_attribute:MY_UNSET" not in a, a
    assert req["is_ssl"] == 1, req
    unknown = [n for n in names if n not in ORDER]
    assert not unknown, "unexpected attributes %s" % unknown
    assert names == [n for n in ORDER if n in names], "order %s, mod_jk's is %s" % (names, ORDER)
    assert fakeajp.header_value(req, "content-length") == "10", req["headers"]


def test_route_and_activation_through_lb():
    """No session: the active member r1 serves, route r1, ACT. A session routed to r2
    (activation=D, serves only its sessions): route r2, DIS."""
    for f in (REC_R1, REC_R2):
        f.reset()
    r = http.get(HTTPD.url("/lbwire/x"))
    assert r.status == 200, r
    req = last_request(REC_R1)
    assert not REC_R2.requests, "a new request went to the disabled member"
    assert attribute(req, "route") == "r1", req["attributes"]
    assert attribute(req, "req_attribute:JK_LB_ACTIVATION") == "ACT", req["attributes"]
    r = http.get(HTTPD.url("/lbwire/x"), headers={"Cookie": "JSESSIONID=abc123.r2"})
    assert r.status == 200, r
    req = last_request(REC_R2)
    assert attribute(req, "route") == "r2", req["attributes"]
    assert attribute(req, "req_attribute:JK_LB_ACTIVATION") == "DIS", req["attributes"]


def test_plain_request_wire_defaults():
    """A body-less GET carries content-length 0 (Tomcat reads an absent one as 'body
    follows'), the client's port and httpd's local address."""
    REC.reset()
    r = http.get(HTTPD.url("/wire/plain?q=1"))
    assert r.status == 200, r
    req = last_request(REC)
    assert req["method"] == "GET" and req["protocol"] == "HTTP/1.1", req
    assert req["uri"] == "/wire/plain", req
    assert req["remote_addr"] == "127.0.0.1" and req["is_ssl"] == 0, req
    assert fakeajp.header_value(req, "content-length") == "0", req["headers"]
    assert attribute(req, "query_string") == "q=1", req["attributes"]
    assert attribute(req, "req_attribute:AJP_LOCAL_ADDR") == "127.0.0.1", req["attributes"]
    assert (attribute(req, "req_attribute:AJP_REMOTE_PORT") or "").isdigit(), req["attributes"]


# ------------------------------------------------------------------ a worker on an HTTP port

def test_worker_pointing_at_tomcats_http_port():
    """A classic mistake: worker.port = Tomcat's HTTP connector. Must fail fast and say so."""
    port = ports.free_port()
    workers = "worker.list=oops\nworker.oops.type=ajp13\nworker.oops.host=127.0.0.1\n" \
              "worker.oops.port=%d\n" % TC.http_port
    h = Httpd(module_so(), port=port, workers_properties=workers, jk_directives="JkMount /*.jsp oops",
              name="httpd-oops")
    h.configtest_and_start()
    try:
        since = h.log_size("jk.log")
        t0 = time.monotonic()
        try:
            r = http.get(h.url("/hello.jsp"), timeout=30)
            status = r.status
        except socket.timeout:
            status = "client timeout"
        dt = time.monotonic() - t0
        time.sleep(0.3)
        lines = [l for l in h.jk_log(since).splitlines() if "[debug]" not in l and "[trace]" not in l]
        note("worker on Tomcat's HTTP port: %s after %.2fs; jk.log: %s" % (status, dt, lines))
        if is_reference():
            return
        assert status == 502, status
        assert dt < 5, dt
        assert len(lines) == 1 and "127.0.0.1:%d" % TC.http_port in lines[0] and "HTTP" in lines[0], lines
    finally:
        h.stop()
