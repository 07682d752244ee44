"""What Tomcat receives, byte for byte as mod_jk sends it, in cases a black-box comparison with
Debian's mod_jk found different (a recording fake container decodes each FORWARD_REQUEST):

  * a path that is not UTF-8 (`/a%E9b`, Latin-1 applications) keeps its bytes under the default
    ForwardURIProxy and under ForwardURIEscaped, instead of becoming U+FFFD (`%EF%BF%BD`);
  * `DirectoryIndex index.jsp` with `JkMount /*.jsp`: GET /dir/ reaches the container as
    /dir/index.jsp when index.jsp exists on disk (mod_dir takes only a regular file);
  * a `JkEnvVar` set to "" is forwarded as "".

The same assertions hold for the reference module.
"""

from harness import Httpd, http, module_so, note, require_tools
from harness.fakeajp import FakeAJP

FAKE = HTTPD = None


def setup_module():
    global FAKE, HTTPD
    require_tools()
    FAKE = FakeAJP("ok", keep=50).start()
    workers = "worker.list=w\nworker.w.host=127.0.0.1\nworker.w.port=%d\nworker.w.secret=s\n" % FAKE.port
    HTTPD = Httpd(module_so(), workers_properties=workers, name="httpd-parity", modules=["env"],
                  jk_directives="JkMount /*.jsp w\nJkMount /raw/* w\nJkEnvVar MY_EMPTY\n",
                  extra_conf="DirectoryIndex index.jsp index.html\n"
                             "<Location /raw>\n  SetEnv MY_EMPTY \"\"\n</Location>\n")
    HTTPD.create()
    d = HTTPD.root / "htdocs" / "withindex"
    d.mkdir()
    d.chmod(0o755)
    (d / "index.jsp").write_text("on disk; Tomcat serves it\n")
    (d / "index.jsp").chmod(0o644)
    HTTPD.configtest_and_start()


def teardown_module():
    if HTTPD:
        HTTPD.stop()
    if FAKE:
        FAKE.stop()


def forwarded(raw_path):
    """Sends GET raw_path (bytes) and returns the FORWARD_REQUEST the container decoded."""
    FAKE.reset()
    answer = http.raw_request(HTTPD.port, b"GET " + raw_path + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    note("%r -> %s; forwarded %s" % (raw_path, answer.split(b"\r\n")[0], [r.get("uri") for r in FAKE.requests]))
    return FAKE.requests[-1] if FAKE.requests else None


def test_a_path_that_is_not_utf8_keeps_its_bytes():
    assert forwarded(b"/raw/a%E9b")["uri"] == "/raw/a%E9b"
    assert forwarded(b"/raw/a\xe9b;p=%E9")["uri"] == "/raw/a%E9b;p=%E9"


def test_directory_index_jsp_is_forwarded():
    request = forwarded(b"/withindex/")
    assert request is not None and request["uri"] == "/withindex/index.jsp", request


def test_an_empty_jkenvvar_is_forwarded_empty():
    attributes = dict(forwarded(b"/raw/x")["attributes"])
    assert attributes.get("req_attribute:MY_EMPTY") == "", attributes
