"""`JK_LOCAL_PORT` and `JK_REMOTE_PORT` (the JkLocalPortIndicator and JkRemotePortIndicator
variables) with values that are not plain port numbers, as Debian's mod_jk 1.2.48 forwards
them: the local port read with C's `atoi` and kept to 16 bits (the AJP server_port field), the
remote port's text as it is (the AJP_REMOTE_PORT attribute). SwiftJK parsed both strictly and
fell back to the real ports. A scripted backend (harness/fakeajp.py) records the wire.
"""

from harness import Httpd, http, module_so, require_tools
from harness.fakeajp import FakeAJP

H = None
FAKE = None

# (JK_LOCAL_PORT, server_port on the wire, JK_REMOTE_PORT = AJP_REMOTE_PORT on the wire)
CASES = [("abc", 0, "abc"), ("8082abc", 8082, "5150x"), ("-5", 65531, "-5"), ("70000", 4464, "70000"),
         ("+9", 9, "+9"), ("8081", 8081, "5150")]


def setup_module():
    global H, FAKE
    require_tools()
    FAKE = FakeAJP("ok", name="fake-ports", keep=5).start()
    extra = ('SetEnvIf X-Local-Port "^(.+)$" JK_LOCAL_PORT=$1\n'
             'SetEnvIf X-Remote-Port "^(.+)$" JK_REMOTE_PORT=$1\n')
    H = Httpd(module_so(), workers_properties="worker.list=w\nworker.w.port=%d\n" % FAKE.port,
              jk_directives="JkMount /p/* w\n", extra_conf=extra, modules=["setenvif"], name="httpd-ports")
    H.create()
    H.configtest_and_start()


def teardown_module():
    if H:
        H.stop()
    if FAKE:
        FAKE.stop()


def test_port_indicator_values_go_to_tomcat_as_mod_jk_sends_them():
    seen = []
    for local, _, remote in CASES:
        FAKE.reset()
        r = http.get(H.url("/p/x"), headers={"X-Local-Port": local, "X-Remote-Port": remote})
        assert r.status == 200, r
        request = FAKE.requests[-1]
        seen.append((local, request["server_port"], dict(request["attributes"]).get("req_attribute:AJP_REMOTE_PORT")))
    assert seen == CASES, seen
