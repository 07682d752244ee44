"""The status page in a real browser: Debian's chromium, headless, driven by Selenium through
Debian's chromium-driver (python3-selenium; nothing downloaded).

One Tomcat (was1) and a dead port (was2) behind lb `worker1`; status worker `jkstatus` with the
defaults, so changes go only through the page's POST forms with their one-time nonce.

1. The browser loads /jkstatus, clicks `#drain-was1`; the answer page shows
   `tr#member-was1[data-activation=DIS]` and `#result` naming the change; the new page carries a
   new nonce. The same POST replayed from Python with the nonce read from the first page's DOM
   is refused (403), so is a forged action with it, and nothing changes.
2. The factor form: typing 3 into was2's factor field and clicking "Set factor" changes it.

Screenshots (PNG) go to the run directory's `browser/` fixture directory (noted).
"""

import os
import pathlib
import re
import shutil
import sys
import urllib.error
import urllib.parse
import urllib.request

from harness import Httpd, SkipTest, Tomcat, free_port, http, is_reference, module_so, note, procs, \
    require_tools, rundir

try:
    from harness import NotApplicable      # a skip the runner accepts: not for this module
except ImportError:                        # an older harness
    NotApplicable = SkipTest
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
DEBIAN_DIST = "/usr/lib/python3/dist-packages"
SECRET = "status-browser-secret-93"
LB = "worker1"
TC = HTTPD = DRIVER = SERVICE = None
DIR = None
BROWSER_PIDS = []


def descendants(pid):
    out, todo = [], [pid]
    while todo and len(out) < 500:
        p = todo.pop()
        kids = procs.children_of(p)
        out += kids
        todo += kids
    return out


# Screenshots outlive the run directory (which is removed when everything passed).
ARTIFACTS = pathlib.Path(__file__).resolve().parents[1] / "artifacts"


def keep_screenshot(name):
    """Saves the browser's screenshot in the run directory and in IntegrationTests/artifacts."""
    shot = DIR / name
    assert DRIVER.save_screenshot(str(shot)), "screenshot failed"
    ARTIFACTS.mkdir(exist_ok=True)
    kept = ARTIFACTS / name
    shutil.copyfile(shot, kept)
    note("screenshot: %s (%d bytes)" % (kept, kept.stat().st_size))
    return shot


def setup_module():
    global TC, HTTPD, DRIVER, SERVICE, DIR
    require_tools()
    module_so()
    if is_reference():
        raise NotApplicable("SwiftJK's status page (mod_jk's page has GET links, no forms or nonces)")
    for tool in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(tool):
            raise SkipTest("missing %s (scripts/install-deps.sh installs chromium and chromium-driver)" % tool)
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        # Debian's python3-selenium lives in Debian's dist-packages: reachable from another
        # Python 3.11 (e.g. a pyenv `python3` first in PATH) when added at the end of the path.
        if sys.version_info[:2] != (3, 11) or not os.path.isdir(DEBIAN_DIST) or DEBIAN_DIST in sys.path:
            raise SkipTest("python3-selenium is not installed (scripts/install-deps.sh)")
        sys.path.append(DEBIAN_DIST)
        try:
            from selenium import webdriver
            from selenium.webdriver.chrome.service import Service
        except ImportError as e:
            raise SkipTest("python3-selenium is not importable: %s (run with /usr/bin/python3)" % e)
    TC = Tomcat("was1", "was1", secret=SECRET)
    TC.start_ready()
    dead = free_port()
    workers = "\n".join([
        "worker.list=%s,jkstatus" % LB,
        "worker.%s.type=lb" % LB,
        "worker.%s.balance_workers=was1,was2" % LB,
        "worker.was1.type=ajp13", "worker.was1.host=127.0.0.1", "worker.was1.port=%d" % TC.ajp_port,
        "worker.was1.secret=%s" % SECRET,
        "worker.was2.type=ajp13", "worker.was2.host=127.0.0.1", "worker.was2.port=%d" % dead,
        "worker.was2.secret=%s" % SECRET,
        "worker.jkstatus.type=status",
    ]) + "\n"
    HTTPD = Httpd(module_so(), workers_properties=workers, name="httpd-browser",
                  jk_directives="JkMount /*.jsp %s\nJkMount /jkstatus jkstatus" % LB)
    HTTPD.configtest_and_start()
    DIR = rundir.fixture_dir("browser")
    profile = DIR / "profile"
    profile.mkdir()
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--user-data-dir=%s" % profile, "--window-size=1500,1000", "--no-first-run",
                "--no-default-browser-check", "--disable-background-networking", "--disable-sync",
                "--disable-component-update", "--disable-extensions", "--disable-default-apps",
                "--metrics-recording-only", "--password-store=basic"):
        opts.add_argument(arg)
    SERVICE = Service(CHROMEDRIVER, log_path=str(DIR / "chromedriver.log"))
    DRIVER = webdriver.Chrome(service=SERVICE, options=opts)
    DRIVER.set_page_load_timeout(20)
    DRIVER.set_script_timeout(10)
    if SERVICE.process is not None:
        BROWSER_PIDS.append(SERVICE.process.pid)
        BROWSER_PIDS.extend(descendants(SERVICE.process.pid))
    caps = DRIVER.capabilities
    note("%s %s, chromedriver %s" % (caps.get("browserName"), caps.get("browserVersion"),
                                     caps.get("chrome", {}).get("chromedriverVersion", "?").split(" ")[0]))


def teardown_module():
    if SERVICE is not None and SERVICE.process is not None:
        BROWSER_PIDS.extend(descendants(SERVICE.process.pid))
    try:
        if DRIVER is not None:
            DRIVER.quit()
    finally:
        for pid in BROWSER_PIDS:           # whatever survived quit(), by PID
            if procs.alive(pid):
                procs.terminate(pid, 2.0)
        if HTTPD:
            HTTPD.stop()
        if TC:
            TC.stop()
        if DIR is not None:
            shutil.rmtree(DIR / "profile", ignore_errors=True)


# ---------------------------------------------------------------------------------- helpers

def by_css(selector):
    from selenium.webdriver.common.by import By
    return DRIVER.find_element(By.CSS_SELECTOR, selector)


def wait_for(predicate, timeout=10, what="the page"):
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(DRIVER, timeout, poll_frequency=0.1,
                         ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
                         ).until(lambda d: predicate(), message="waiting for %s" % what)


def form_fields(button_id):
    """The name/value pairs the form of button `button_id` would POST (from the DOM)."""
    return DRIVER.execute_script("""
        const form = document.getElementById(arguments[0]).form;
        return Array.from(new FormData(form).entries());""", button_id)


def member_row(name):
    row = by_css("tr#member-%s" % name)
    return {"activation": row.get_attribute("data-activation"), "state": row.get_attribute("data-state"),
            "cells": [td.text for td in row.find_elements("css selector", "td")]}


def raw_post(fields):
    """POST the form fields from outside the browser (urllib); returns (status, body text)."""
    req = urllib.request.Request(HTTPD.url("/jkstatus"), data=urllib.parse.urlencode(fields).encode(),
                                 headers={"Content-Type": "application/x-www-form-urlencoded"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def txt_activation(member):
    r = http.get(HTTPD.url("/jkstatus?mime=txt"), timeout=30)
    m = re.search(r"^Member: name=%s .*? activation=(\w+) lbfactor=(\d+)" % member, r.text, re.M)
    assert m, r.text
    return m.group(1), m.group(2)


# ---------------------------------------------------------------------------------- tests

def test_drain_button_then_replayed_post_refused():
    """Click Drain of was1: the answer page shows was1 DIS and the change in #result; the POST
    replayed with the clicked form's nonce is refused with 403 (and a forged Stop with it too),
    and was1 stays DIS."""
    for _ in range(6):                      # some traffic: was1 serves, dead was2 goes ERR
        r = http.get(HTTPD.url("/hello.jsp"), timeout=30)
        assert r.status == 200, r
    mark = HTTPD.log_size("jk.log")
    DRIVER.get(HTTPD.url("/jkstatus"))
    wait_for(lambda: by_css("tr#member-was1"), what="the member rows")
    assert DRIVER.title == "SwiftJK Status", DRIVER.title
    before = member_row("was1")
    note("before: was1 %s/%s, was2 %s/%s" % (before["activation"], before["state"],
                                             member_row("was2")["activation"], member_row("was2")["state"]))
    assert before["activation"] == "ACT", before
    clicked = dict(form_fields("drain-was1"))
    assert {k: clicked.get(k) for k in ("cmd", "w", "sw", "vwa")} == \
        {"cmd": "update", "w": LB, "sw": "was1", "vwa": "D"}, clicked
    old_nonce = clicked["nonce"]
    assert re.fullmatch(r"[0-9a-f]{16,}", old_nonce), old_nonce
    assert DRIVER.execute_script("return document.getElementById('drain-was1').form.method") == "post"

    by_css("#drain-was1").click()
    wait_for(lambda: member_row("was1")["activation"] == "DIS", what="tr#member-was1[data-activation=DIS]")
    result = by_css("#result")
    note("after the click: #result (class %s): %s" % (result.get_attribute("class"), result.text))
    assert result.get_attribute("class") == "ok", result.get_attribute("outerHTML")
    assert "member was1 of worker1: activation ACT → DIS" in result.text, result.text
    row = member_row("was1")
    assert "DIS" in row["cells"], row
    new_nonce = dict(form_fields("activate-was1"))["nonce"]
    assert new_nonce != old_nonce, "the answer page reuses the burnt nonce"
    shot = keep_screenshot("status-page-drained.png")

    status, body = raw_post(clicked)
    shown = re.search(r'<p id="result"[^>]*>(.*?)</p>', body, re.S)
    note("replayed POST (nonce %s...): %d %s" % (old_nonce[:8], status, shown.group(1) if shown else body[:100]))
    assert status == 403, (status, body[:500])
    assert "no valid nonce" in body, body[:800]
    forged = dict(clicked, vwa="S")
    status2, body2 = raw_post(forged)
    assert status2 == 403, (status2, body2[:500])
    assert txt_activation("was1")[0] == "DIS", "the refused POSTs changed was1"
    log = HTTPD.jk_log(mark)
    assert len(re.findall(r"status worker jkstatus: anonymous from 127\.0\.0\.1 changed member was1 of "
                          r"worker1: activation ACT → DIS", log)) == 1, log
    refused = [l for l in log.splitlines() if "without a valid form nonce" in l]
    assert len(refused) == 2, refused


def test_factor_form():
    """On the page the browser now shows (its nonce is fresh), type 3 into was2's factor field
    and click Set factor: the answer shows factor 3 for was2, and mime=txt agrees."""
    from selenium.webdriver.common.by import By
    form = DRIVER.find_element(By.XPATH, "//tr[@id='member-was2']//form[@class='factor']")
    field = form.find_element(By.NAME, "vwf")
    field.clear()
    field.send_keys("3")
    sent = DRIVER.execute_script("return Array.from(new FormData(arguments[0], arguments[1]).entries());",
                                 form, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    note("the factor form submits: %s" % "&".join("%s=%s" % (k, v if k != "nonce" else v[:8] + "...")
                                                  for k, v in sent))
    previous = by_css("#result").text
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(lambda: by_css("#result").text != previous, what="the answer to Set factor")
    result = by_css("#result")
    note("after Set factor: #result (class %s): %s" % (result.get_attribute("class"), result.text))
    shot = keep_screenshot("status-page-factor.png")
    assert result.get_attribute("class") == "ok" and "lbfactor 1 → 3" in result.text, result.text
    assert txt_activation("was2") == ("ACT", "3"), txt_activation("was2")
    assert member_row("was1")["activation"] == "DIS"
