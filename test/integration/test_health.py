# SPDX-License-Identifier: GPL-2.0-only
"""Health checks: newServer's check options, up/down transitions, admin states.

A FakeBackend answers out-of-zone names normally whatever its mode, so tests
that need a failing check point checkName under test. (hc.test. on a silent
backend, nxdomain-hc.test. / servfail-hc.test. for rcodes).
"""

import time

import harness
from fakedns import a_addresses, make_query, wait_until

# Fast checks: one a second (the smallest checkInterval), 300 ms to answer.
FAST = {"checkInterval": 1, "checkTimeout": 300}
SLACK = 3.0  # seconds: the server table is printed once a second, plus scheduling


def state(rows, name):
    return rows[name]["State"]


def client_queries(be, check_name):
    """In-zone queries the backend received that were not health checks."""
    return [r for r in be.queries if r.msg.question[0].name.to_text().lower() != check_name]


def test_silent_backend_marked_down_and_avoided(start_ballast, backends, client):
    dead = backends(mode="silent")
    live = backends()
    b = start_ballast(servers=[dead, live],
                      server_opts=[dict(FAST, checkName="hc.test.", maxCheckFailures=2), {}],
                      lua="setUDPTimeout(1)\n")
    b.wait_servers(lambda rows: state(rows, "b1") == "down", timeout=2 * 1 + SLACK,
                   what="b1 (silent to its checks) marked down after 2 failures")
    assert len(dead.queries) >= 2, "marked down before its second check was sent"
    assert "Marking downstream b1" in b.stderr() and "as 'down'" in b.stderr(), b.diagnostics()
    assert b.servers()["b2"]["State"] == "up"

    c = client()
    for i in range(20):
        r = c.ask(make_query(f"after-down-{i}.test.", qid=i), b.listen[0])
        assert r is not None, f"query {i} unanswered with b2 up{b.diagnostics()}"
        assert a_addresses(r) == [live.host], "answered by the backend that is down"
    assert client_queries(dead, "hc.test.") == [], "client queries sent to a backend marked down"
    # The silent backend's checks expire in its in-flight table (setUDPTimeout(1)) without
    # counting as client timeouts or drops.
    time.sleep(1.5)
    snap = b.fresh_counters()
    assert snap["downstream-timeouts"] == 0, snap
    rows = b.servers()
    assert rows["b1"]["Drops"] == 0, rows["b1"]
    # Its only client queries were the harness's readiness probes (out of zone, answered).
    assert len(dead.queries) >= 2, "fewer than 2 health checks reached b1"
    assert rows["b1"]["Queries"] == dead.other_queries, rows["b1"]


def test_backend_comes_back_after_rise_checks(start_ballast, backends):
    be = backends(mode="silent")
    spare = backends()
    b = start_ballast(servers=[be, spare],
                      server_opts=[dict(FAST, checkName="hc.test.", rise=2), {}])
    b.wait_servers(lambda rows: state(rows, "b1") == "down", timeout=1 + SLACK,
                   what="b1 marked down")
    be.mode = "normal"
    revived = time.monotonic()
    b.wait_servers(lambda rows: state(rows, "b1") == "up", timeout=2 * 1 + SLACK,
                   what="b1 back up after 2 good checks")
    # rise=2: two successful checks one interval apart, so at least a second.
    assert time.monotonic() - revived >= 0.9, "back up after a single check"
    assert "as 'up'" in b.stderr(), b.diagnostics()


def test_set_down_in_config(start_ballast, backends, client):
    be1, be2 = backends(), backends()
    b = start_ballast(servers=[be1, be2], server_opts=[FAST, FAST],
                      lua='getServer(0):setDown()\n'
                          'local s = getServers()\n'
                          'io.stdout:write("SERVERS ", #s, " ", tostring(getServer(0):isUp()), " ",'
                          ' tostring(s[2]:isUp()), " ", s[2]:getWeight(), " ",'
                          ' s[2]:getOutstanding(), "\\n")\n'
                          'io.stdout:flush()\n')
    rows = b.wait_servers(lambda rows: state(rows, "b1") == "DOWN", timeout=3.0,
                          what="b1 administratively DOWN")
    assert state(rows, "b2") == "up"
    assert "SERVERS 2 false true 1 0" in b.stdout()
    c = client()
    for i in range(10):
        r = c.ask(make_query(f"admin-down-{i}.test.", qid=i), b.listen[0])
        assert r is not None and a_addresses(r) == [be2.host]
    assert be1.count == 0
    time.sleep(1.2)  # b2 gets checked meanwhile; b1, forced down, does not
    assert be1.other_queries == 0, "health checks sent to a server set down"
    assert be2.other_queries >= 1, "no health check reached b2"
    assert b.servers()["b1"]["Queries"] == 0


def test_health_checks_not_counted_as_queries(start_ballast, backends):
    be = backends()
    b = start_ballast(servers=[be], server_opts=[FAST])
    base = b.fresh_counters()
    base_row = b.servers()["b1"]
    checks = be.other_queries
    assert wait_until(lambda: be.other_queries >= checks + 2, timeout=4.0), \
        f"fewer than 2 health checks in 4 s (saw {be.other_queries - checks})"
    snap = b.fresh_counters()
    for name in ("queries", "responses", "frontend-noerror", "downstream-timeouts"):
        assert snap[name] == base[name], f"{name} moved with health checks only"
    assert b.servers()["b1"]["Queries"] == base_row["Queries"]
    assert b.servers()["b1"]["State"] == "up"


def test_must_resolve(start_ballast, backends):
    nx_strict, nx_lenient, servfail = backends(), backends(), backends()
    b = start_ballast(servers=[nx_strict, nx_lenient, servfail], server_opts=[
        dict(FAST, checkName="nxdomain-hc.test.", mustResolve=True),
        dict(FAST, checkName="nxdomain-hc.test."),
        dict(FAST, checkName="servfail-hc.test.", checkType="A", checkClass=1)])
    rows = b.wait_servers(lambda rows: state(rows, "b1") == "down" and state(rows, "b3") == "down",
                          timeout=1 + SLACK,
                          what="NXDOMAIN with mustResolve and SERVFAIL both failing checks")
    assert state(rows, "b2") == "up", "NXDOMAIN without mustResolve must pass"
    assert nx_lenient.wait_count(2, timeout=3.0), "b2 not checked twice"
    assert state(b.servers(), "b2") == "up"


def test_health_check_mode_option(start_ballast, backends, tmp_path):
    be1, be2 = backends(mode="silent"), backends()
    b = start_ballast(servers=[be1, be2], server_opts=[
        dict(FAST, checkName="hc.test.", healthCheckMode="up"),
        dict(FAST, healthCheckMode="down")])
    time.sleep(1.5)  # a check of b1 would have failed by now
    rows = b.servers()
    assert state(rows, "b1") == "UP" and state(rows, "b2") == "DOWN", rows
    assert be1.count == 0 and be2.other_queries == 0, "forced servers were health-checked"

    path = tmp_path / "bad-mode.conf"
    path.write_text(f'newServer{{address="{be2.address}", healthCheckMode="sometimes"}}\n')
    res = harness.run_binary(["-C", str(path), "--check-config"])
    assert res.returncode == 1
    assert "unknown healthCheckMode 'sometimes'" in res.stdout + res.stderr
