"""Members that refuse requests in ways a CPING does not show, side by side with mod_jk:

  * fail_on_status: a member answering a listed status (503: "not deployed") is a refusal the
    operator declared, so a POST whose body is still buffered goes to the other member, as
    mod_jk sends it; the client gets the other member's answer;
  * a member that answers CPING but drops every request: after it failed again right after a
    CPONG brought it back, it waits for recover_time (as in mod_jk) instead of being let back by
    the next CPONG every second, at the cost of a real request each time.

Scripted members (harness/fakeajp.py).
"""

import time

from harness import Httpd, http, is_reference, module_so, note, require_tools
from harness.fakeajp import FakeAJP, end_response, send_headers

H = None
FAKES = {}


def answer_503(fake, conn, payload):
    conn.sendall(send_headers(503, headers=[("Content-Type", "text/plain"), ("Content-Length", "0")]) + end_response(True))
    return True


def drop(fake, conn, payload):
    return False


def setup_module():
    global H
    require_tools()
    FAKES["refusing"] = FakeAJP(answer_503, name="refusing").start()
    FAKES["dropping"] = FakeAJP(drop, name="dropping").start()
    FAKES["good"] = FakeAJP("ok", name="good").start()
    workers = "\n".join([
        "worker.list=lbfail,lbdrop",
        "worker.lbfail.type=lb", "worker.lbfail.balance_workers=r1,g1",
        "worker.r1.port=%d" % FAKES["refusing"].port, "worker.r1.fail_on_status=503",
        "worker.g1.port=%d" % FAKES["good"].port, "worker.g1.fail_on_status=503",
        "worker.lbdrop.type=lb", "worker.lbdrop.balance_workers=d2,g2", "worker.lbdrop.recover_time=60",
        "worker.d2.port=%d" % FAKES["dropping"].port,
        "worker.g2.port=%d" % FAKES["good"].port,
    ]) + "\n"
    H = Httpd(module_so(), workers_properties=workers, jk_directives="JkMount /fail/* lbfail\nJkMount /drop/* lbdrop",
              name="httpd-refusals")
    H.start()


def teardown_module():
    if H:
        H.stop()
    for fake in FAKES.values():
        fake.stop()


def requests_to(name):
    return FAKES[name].stats()["requests"]


def test_a_post_refused_by_fail_on_status_goes_to_the_other_member():
    body = b"field=" + b"v" * 500
    refused_before, good_before = requests_to("refusing"), requests_to("good")
    r = http.request("POST", H.url("/fail/form"), body=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": "JSESSIONID=abc.r1"})
    note("POST sticky to the refusing member: %d; refusing member asked %d, good member %d" % (
        r.status, requests_to("refusing") - refused_before, requests_to("good") - good_before))
    assert r.status == 200, r
    assert requests_to("good") == good_before + 1


def test_a_member_that_drops_requests_is_not_let_back_every_second():
    dropped_before = requests_to("dropping")
    statuses = []
    for i in range(10):
        r = http.request("POST", H.url("/drop/p%d" % i), body=b"x=1",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        statuses.append(r.status)
        time.sleep(0.5)
    reached = requests_to("dropping") - dropped_before
    note("10 POSTs over 5 s: statuses %s; the dropping member got %d of them" % (statuses, reached))
    if not is_reference():
        assert reached <= 2, (reached, statuses)
        assert statuses.count(200) >= 8, statuses
