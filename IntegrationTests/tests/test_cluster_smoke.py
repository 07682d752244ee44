"""The classic deployment: httpd + JK lb worker (sticky) over two clustered Tomcats.

One session is followed through stickiness, a crash of its owner (SIGKILL), failover to the
other node with the count intact, and the crashed node's return to the cluster. The tests are
steps of one scenario and run in file order; a step whose predecessor did not run is skipped.
"""

from harness import Cluster, Httpd, SkipTest, http, module_so, note, require_tools

CLUSTER = HTTPD = None
JAR = http.CookieJar()
STATE = {}   # what earlier steps established: owner, survivor, count


def setup_module():
    global CLUSTER, HTTPD
    require_tools()
    so = module_so()
    CLUSTER = Cluster(("was1", "was2"), secret="cluster-secret-42", channel_send_options=6)
    CLUSTER.start(timeout=90)
    note("cluster: both nodes ready %.2fs, cluster formed %.2fs, with JSP precompile %.2fs"
         % (CLUSTER.timings["ready"], CLUSTER.timings["joined"], CLUSTER.timings["start_total"]))
    HTTPD = Httpd(so, workers_properties=CLUSTER.workers_properties(),
                  jk_directives="JkMount /*.jsp worker1")
    HTTPD.configtest_and_start()


def teardown_module():
    if HTTPD:
        HTTPD.stop()
    if CLUSTER:
        CLUSTER.stop()


def counter():
    r = http.get(HTTPD.url("/counter.jsp"), jar=JAR, timeout=30)
    assert r.status == 200, (r, r.text)
    return r, r.kv()


def test_sticky_20_requests():
    nodes = set()
    for i in range(1, 21):
        r, kv = counter()
        assert kv["count"] == str(i), (i, kv)
        nodes.add(kv["node"])
    assert len(nodes) == 1, nodes
    owner = nodes.pop()
    assert JAR.route() == owner, (JAR.jsessionid, owner)   # session id suffix = jvmRoute
    STATE.update(owner=owner, survivor="was2" if owner == "was1" else "was1", count=20)


def test_failover_after_kill9_keeps_count():
    if "owner" not in STATE:
        raise SkipTest("needs test_sticky_20_requests")
    old_id = JAR.jsessionid
    CLUSTER[STATE["owner"]].kill9()
    r, kv = counter()
    note("failover request after SIGKILL of %s: %.3fs" % (STATE["owner"], r.elapsed))
    assert kv["node"] == STATE["survivor"], kv
    assert kv["count"] == "21", kv
    # JvmRouteBinderValve keeps the id's base and moves its route to the new owner (docs/modjk-behaviour.md §11.1 c).
    assert JAR.jsessionid.rsplit(".", 1)[0] == old_id.rsplit(".", 1)[0], (old_id, JAR.jsessionid)
    assert JAR.route() == STATE["survivor"], JAR.jsessionid
    r, kv = counter()   # re-stick to the new owner
    assert (kv["node"], kv["count"]) == (STATE["survivor"], "22"), kv
    STATE["count"] = 22
    STATE["failed_over"] = True


def test_killed_node_rejoins_with_session_state():
    if not STATE.get("failed_over"):
        raise SkipTest("needs test_failover_after_kill9_keeps_count")
    killed = CLUSTER[STATE["owner"]]
    seconds = CLUSTER.rejoin(killed.name, timeout=90)
    note("%s restarted and rejoined in %.2fs" % (killed.name, seconds))
    log = killed.log_since_start()
    assert "requesting session state" in log, log[-2000:]
    # The rejoined node received the session in the state transfer: ask it directly (its own
    # HTTP connector) with the same cookie; it continues the count.
    r = http.get(killed.url("/counter.jsp"), jar=JAR)
    kv = r.kv()
    assert r.status == 200 and kv["node"] == killed.name and kv["count"] == "23", (r, kv)
    # And through httpd the session still continues, wherever the lb sends it now.
    r, kv = counter()
    assert kv["count"] == "24", kv
    note("after rejoin, via httpd: served by %s" % kv["node"])
