# SPDX-License-Identifier: GPL-2.0-only
"""Every panel of the dashboard shows figures while traffic flows, in headless Chromium:
QPS, latency percentiles, cache hit ratio, stale answers (the only server of the default
pool stopped, its cached answers served stale), servers, embedded resolvers, top clients
and names, dynamic blocks (a client over the query rate), pools and frontends. A panel
left empty fails the test; a screenshot is kept (pytest tmp path and meson-logs)."""

import base64
import os
import threading
import time

import pytest

from fakedns import make_query
from test_web_dashboard import browser, keep_screenshot, wait_for  # noqa: F401 (fixture)
from webtest import PASSWORD, new_web_address, wait_web, web_lua

pytest.importorskip("selenium.webdriver")

PANELS = ("qps", "latency", "hitrate", "stale", "servers", "resolvers", "dynblocks",
          "top-clients", "top-names", "pools", "frontends")


def config(resolver_backend, web):
    return web_lua(web) + f"""
newResolver{{name="rec", instances=2, pool="rec", outgoingTimeout=1000, dnssec="off",
             forwardZones={{["."]={{"{resolver_backend.address}"}}}}}}
addAction("rec.test.", PoolAction("rec"))
pc = newPacketCache(1000, {{maxTTL=1, staleTTL=30}})
getPool(""):setCache(pc)
setStaleCacheEntriesTTL(600)
dbr = newDynBlockRulesGroup()
dbr:setQueryRate(60, 2, "over 60 queries/s", 120, DNSAction.Refused)
"""


def empty_panels(driver):
    return driver.execute_script(
        "return arguments[0].filter(p => "
        "document.getElementById('panel-' + p).dataset.filled !== '1')", list(PANELS))


def test_every_panel_filled_while_traffic_flows(start_ballast, backends, client, browser,  # noqa: F811
                                                tmp_path):
    be, rec_be = backends(), backends()
    web = new_web_address()
    b = start_ballast(servers=[be], lua=config(rec_be, web))
    wait_web(web)
    stop = threading.Event()

    def send(host, names, pause):
        c = client(host)
        i = 0
        while not stop.is_set():
            c.ask(make_query(names[i % len(names)], qid=i % 65536), b.listen[0], timeout=0.2)
            i += 1
            time.sleep(pause)

    calm = [f"calm-{i}.test." for i in range(5)] + ["www.rec.test.", "mail.rec.test."]
    busy = ["busy.test."]
    senders = [threading.Thread(target=send, args=("127.0.0.1", calm, 0.03), daemon=True),
               threading.Thread(target=send, args=(b.listen[0][0], busy, 0.005), daemon=True)]
    for t in senders:
        t.start()
    try:
        token = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
        browser.execute_cdp_cmd("Network.enable", {})
        browser.execute_cdp_cmd("Network.setExtraHTTPHeaders",
                                {"headers": {"Authorization": f"Basic {token}"}})
        browser.get(f"http://{web[0]}:{web[1]}/")
        wait_for(browser, "Number(document.getElementById('status').dataset.samples || 0) >= 3",
                 what="three polls")
        # The busy client goes over the rate: the group blocks it.
        deadline = time.monotonic() + 10
        while True:
            b.run_lua("dbr:apply()")
            text = browser.execute_script("return document.getElementById('dynblocks').innerText")
            if "over 60" in text:
                break
            assert time.monotonic() < deadline, f"no dynamic block: {text}"
            time.sleep(0.5)
        # The only server of the default pool stops: its cached answers are served stale.
        be.stop()
        wait_for(browser, "document.getElementById('panel-stale').dataset.filled === '1'",
                 timeout=20, what="stale answers served")
        deadline = time.monotonic() + 15
        while empty_panels(browser) and time.monotonic() < deadline:
            time.sleep(0.3)
        keep_screenshot(browser, tmp_path, "dashboard-panels.png")
        assert empty_panels(browser) == [], browser.execute_script(
            "return document.body.innerText")
        # What the panels say, beyond being filled.
        assert browser.execute_script(
            "return document.querySelector('#servers tbody tr[data-name=\"b1\"]').className"
        ) == "down"
        instances = browser.execute_script(
            "return [...document.querySelectorAll('#resolver-instances tbody tr')]"
            ".map(r => [r.dataset.name, r.className])")
        assert instances == [["rec@1", "up"], ["rec@2", "up"]]
        # A restart of one instance shows in the resolver's row.
        b.run_lua('restartResolver("rec@1")')
        wait_for(browser, "document.querySelector('#resolvers tbody tr').cells[2].textContent"
                          " === '1'", what="one restart shown")
        names = browser.execute_script(
            "return [...document.querySelectorAll('#top-names tbody tr')]"
            ".map(r => r.cells[0].textContent)")
        assert "busy.test." in names
        blocked = browser.execute_script(
            "return [...document.querySelectorAll('#dynblocks tbody tr')]"
            ".map(r => [r.cells[0].textContent, r.cells[2].textContent])")
        assert [f"{b.listen[0][0]}/32", "Refused"] in blocked
    finally:
        stop.set()
        for t in senders:
            t.join(2)
    assert os.path.getsize(tmp_path / "dashboard-panels.png") > 1000
