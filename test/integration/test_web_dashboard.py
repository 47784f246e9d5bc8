# SPDX-License-Identifier: GPL-2.0-only
"""The dashboard in headless Chromium: loads behind authentication, the QPS chart moves
while queries flow, a killed backend's row turns red. A screenshot is kept as an artifact
(the pytest tmp path, and the build's meson-logs when BALLAST_BIN is in a build dir)."""

import base64
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

import harness
from fakedns import make_query
from webtest import PASSWORD, new_web_address, wait_web, web_lua

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="chromium and chromium-driver are not installed "
                                       "(dist/install-deps.sh installs them)")
webdriver = pytest.importorskip("selenium.webdriver",
                                reason="python3-selenium is not installed "
                                       "(dist/install-deps.sh installs it)")


@pytest.fixture
def browser(tmp_path):
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1400", "--no-first-run", "--disable-extensions",
                f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


def wait_for(driver, script, timeout=20.0, what="condition"):
    """Polls a JavaScript expression in the page until it is truthy; returns its value."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = driver.execute_script("return " + script)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"dashboard: {what} not reached in {timeout}s (last {value!r})")


def keep_screenshot(driver, tmp_path, name):
    png = driver.get_screenshot_as_png()
    (tmp_path / name).write_bytes(png)
    logs = Path(harness.ballast_bin()).resolve().parent.parent / "meson-logs"
    if logs.is_dir():
        (logs / name).write_bytes(png)


def test_dashboard_live(start_ballast, backends, client, browser, tmp_path):
    be1, be2 = backends(), backends()
    web = new_web_address()
    b = start_ballast(servers=[be1, be2], server_opts=[{"pool": "other"}, {}],
                      lua=web_lua(web) + "setPoolServerPolicy(firstAvailable, 'other')\n")
    wait_web(web)
    url = f"http://{web[0]}:{web[1]}/"

    # Without credentials: the server says 401 and the browser shows no dashboard.
    browser.get(url)
    assert browser.execute_script("return document.getElementById('qps-chart')") is None

    # With the password (basic auth on every request the page makes).
    token = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setExtraHTTPHeaders",
                            {"headers": {"Authorization": f"Basic {token}"}})
    browser.get(url)
    assert browser.title == "ballast dashboard"
    wait_for(browser, "Number(document.getElementById('status').dataset.samples || 0) >= 2",
             what="two polls")
    rows = browser.execute_script(
        "return [...document.querySelectorAll('#servers tbody tr')].map(r => r.className)")
    assert rows == ["up", "up"]

    # Queries flowing: the QPS chart gets a point above zero.
    stop = threading.Event()

    def send():
        c = client()
        i = 0
        while not stop.is_set():
            c.ask(make_query(f"dash-{i}.test.", qid=i % 65536), b.listen[0], timeout=0.2)
            i += 1
            time.sleep(0.01)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        wait_for(browser, "Number(document.getElementById('qps-chart').dataset.last || 0) > 0",
                 what="QPS chart above zero")
        assert float(browser.execute_script(
            "return document.getElementById('latency-chart').dataset.points")) >= 1
    finally:
        stop.set()
        sender.join(2)

    # The first backend dies: its row turns red.
    be1.stop()
    wait_for(browser, "document.querySelector('#servers tbody tr[data-name=\"b1\"]')"
                      ".className === 'down'", what="b1 down")
    colour = browser.execute_script(
        "return getComputedStyle(document.querySelector("
        "'#servers tbody tr[data-name=\"b1\"] td')).backgroundColor")
    assert colour == "rgb(244, 180, 180)"
    assert browser.execute_script(
        "return document.querySelector('#servers tbody tr[data-name=\"b2\"]').className") == "up"
    pools = browser.execute_script(
        "return [...document.querySelectorAll('#pools tbody tr')].map(r => r.cells[1].textContent)")
    assert pools == ["(default)", "other"]
    keep_screenshot(browser, tmp_path, "dashboard.png")
    assert os.path.getsize(tmp_path / "dashboard.png") > 1000
