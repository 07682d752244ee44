"""`JkOptions +ForwardDirectories`, as Debian's mod_jk 1.2.48 does it.

A directory that mod_dir found no index file for reaches the handlers as
`httpd/unix-directory`. With the option, the module's handler takes it, but only a worker the
request names through `JkWorkerIndicator` (`SetEnv JK_WORKER_NAME first`) serves it: mod_jk
logs `Into handler httpd/unix-directory worker=(null)` and declines otherwise. Without the
option the directory stays with httpd, variable or not. A directory with an index file on disk
is httpd's (mod_dir serves the file). Scripted backends (harness/fakeajp.py) stand in for Tomcat.
"""

from harness import Httpd, http, module_so, require_tools
from harness.fakeajp import FakeAJP

FAKES = {}
SERVERS = {}

LOCATIONS = """
<Location /named>
    SetEnv JK_WORKER_NAME first
</Location>
<Location /indexed>
    SetEnv JK_WORKER_NAME first
</Location>
"""


def make(option):
    workers = "worker.list=first,second\nworker.first.port=%d\nworker.second.port=%d\n" % (
        FAKES["first"].port, FAKES["second"].port)
    jk = ("JkOptions +ForwardDirectories\n" if option else "") + "JkMount /app/*.jsp second\n"
    h = Httpd(module_so(), workers_properties=workers, jk_directives=jk, extra_conf=LOCATIONS, modules=["env"],
              name="httpd-fwddirs-%s" % ("on" if option else "off"))
    h.create()
    for directory in ("named", "plain", "indexed", "app"):
        (h.root / "htdocs" / directory).mkdir()
        (h.root / "htdocs" / directory).chmod(0o755)
    (h.root / "htdocs" / "indexed" / "index.html").write_text("index on disk\n")
    (h.root / "htdocs" / "indexed" / "index.html").chmod(0o644)
    h.configtest_and_start()
    return h


def setup_module():
    require_tools()
    for name in ("first", "second"):
        FAKES[name] = FakeAJP("ok", name="fake-" + name, keep=5).start()
    SERVERS["on"] = make(True)
    SERVERS["off"] = make(False)


def teardown_module():
    for h in SERVERS.values():
        h.stop()
    for fake in FAKES.values():
        fake.stop()


def get(server, path):
    for fake in FAKES.values():
        fake.reset()
    r = http.get(SERVERS[server].url(path))
    return r, {name: [q["uri"] for q in fake.requests] for name, fake in FAKES.items()}


def test_a_directory_goes_to_the_worker_the_request_names():
    r, sent = get("on", "/named/")
    assert r.status == 200 and r.body == b"fake-ajp-ok\n", r
    assert sent == {"first": ["/named/"], "second": []}, sent


def test_a_directory_without_a_named_worker_stays_with_httpd():
    for path in ("/plain/", "/app/"):
        r, sent = get("on", path)
        assert r.status == 404, (path, r)
        assert sent == {"first": [], "second": []}, (path, sent)


def test_an_index_file_on_disk_is_served_by_httpd():
    r, sent = get("on", "/indexed/")
    assert r.status == 200 and r.body == b"index on disk\n", r
    assert sent == {"first": [], "second": []}, sent


def test_without_the_option_directories_stay_with_httpd():
    r, sent = get("off", "/named/")
    assert r.status == 404, r
    assert sent == {"first": [], "second": []}, sent


def test_the_option_no_longer_warns():
    log = (SERVERS["on"].root / "logs" / "jk.log").read_text()
    assert "ForwardDirectories" not in log or "not implemented" not in log, log[-2000:]
