# SPDX-License-Identifier: GPL-2.0-only
"""Server objects changed at run time: setWeight, addPool/rmPool, rmServer, and lazy
health checking (healthCheckMode="lazy").

Run-time changes are made the way an operator's console would: a Lua snippet the test
drops in a file is run by maintenance() (wrapped by a hook defined in the config, since
the harness defines maintenance() after the test's Lua).
"""

import itertools
import os
import time

import harness
from fakedns import a_addresses, make_query

SLACK = 3.0  # seconds: the server table is printed once a second, plus scheduling
_seq = itertools.count(1)


def command_hook(path):
    """Config Lua wrapping the harness's maintenance() to run the file at `path` once."""
    return f"""
setmetatable(_G, {{__newindex = function(t, k, v)
  if k == "maintenance" then
    local inner = v
    v = function()
      inner()
      local f = io.open("{path}", "r")
      if f ~= nil then
        local code = f:read("*a")
        f:close()
        os.remove("{path}")
        local ok, err = pcall(loadstring(code))
        io.stdout:write("\\nCMD-DONE ", tostring(ok), " ", tostring(err), "\\n")
        io.stdout:flush()
      end
    end
  end
  rawset(t, k, v)
end}})
"""


class Console:
    def __init__(self, tmp_path):
        self.path = tmp_path / "command.lua"

    def lua(self):
        return command_hook(self.path)

    def run(self, b, code, timeout=5.0):
        """Runs `code` in ballast's maintenance(); returns the lines it printed."""
        n = next(_seq)
        marker = f"CMD-OUT-{n}"
        before = b.stdout().count("CMD-DONE")
        tmp = str(self.path) + ".tmp"
        with open(tmp, "w") as f:
            f.write(f'io.stdout:write("\\n{marker}\\n")\n{code}\n')
        os.rename(tmp, self.path)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = b.stdout()
            if out.count("CMD-DONE") > before:
                done = out.split("CMD-DONE")[before + 1].splitlines()[0]
                assert done.startswith(" true"), f"command failed: {done}{b.diagnostics()}"
                return out.split(marker)[1].split("CMD-DONE")[0]
            time.sleep(0.05)
        raise AssertionError(f"command not run within {timeout}s{b.diagnostics()}")


def test_set_weight_and_qps(start_ballast, backends, tmp_path):
    con = Console(tmp_path)
    b = start_ballast(servers=[backends(), backends()],
                      lua='getServer(0):setWeight(5)\n' + con.lua())
    b.wait_servers(lambda rows: rows["b1"]["Wt"] == 5 and rows["b2"]["Wt"] == 1,
                   timeout=SLACK, what="b1 weight 5 from the config")
    out = con.run(b, 'getServer(1):setWeight(7)\n'
                     'io.stdout:write("WEIGHT ", getServer(1):getWeight(), "\\n")')
    assert "WEIGHT 7" in out, out
    b.wait_servers(lambda rows: rows["b2"]["Wt"] == 7, timeout=SLACK, what="b2 weight 7")
    # A weight under 1 is refused and changes nothing.
    out = con.run(b, 'local ok = pcall(function() getServer(1):setWeight(0) end)\n'
                     'io.stdout:write("REFUSED ", tostring(not ok), " ", getServer(1):getWeight(), "\\n")')
    assert "REFUSED true 7" in out, out
    con.run(b, 'getServer(0):setQPS(50)')
    b.wait_servers(lambda rows: rows["b1"]["Qlim"] == 50, timeout=SLACK, what="b1 Qlim 50")
    con.run(b, 'getServer(0):setQPS(0)')
    b.wait_servers(lambda rows: rows["b1"]["Qlim"] == 0, timeout=SLACK, what="b1 Qlim back to 0")


def test_add_and_remove_pool(start_ballast, backends, client, tmp_path):
    con = Console(tmp_path)
    be1, be2 = backends(), backends()
    b = start_ballast(servers=[be1, be2], lua=con.lua())
    con.run(b, 'getServer(0):addPool("abc")\ngetServer(1):addPool("abc")\n'
               'getServer(1):addPool("xyz")')
    b.wait_servers(lambda rows: rows["b1"]["Pools"] == "abc" and rows["b2"]["Pools"] == "abc xyz",
                   timeout=SLACK, what="pools abc and xyz in the Pools column")
    # Still in the default pool: both keep answering default-pool queries.
    c = client()
    for i in range(8):
        r = c.ask(make_query(f"pool-{i}.test.", qid=i), b.listen[0])
        assert r is not None, f"query {i} unanswered{b.diagnostics()}"
    con.run(b, 'getServer(1):rmPool("abc")\ngetServer(0):rmPool("abc")')
    b.wait_servers(lambda rows: rows["b1"]["Pools"] == "" and rows["b2"]["Pools"] == "xyz",
                   timeout=SLACK, what="abc gone from the Pools column")


def test_rm_server(start_ballast, backends, client, tmp_path):
    con = Console(tmp_path)
    be1, be2, be3 = backends(), backends(), backends()
    b = start_ballast(servers=[be1, be2, be3],
                      lua='rmServer(2)\n' + con.lua())  # b3 removed at configuration time
    rows = b.wait_servers(lambda rows: "b1" in rows, timeout=SLACK, what="a server table")
    assert set(rows) == {"b1", "b2"}, rows
    con.run(b, 'rmServer(getServer(0))\n'
               'local ok = pcall(rmServer, 5)\n'
               'io.stdout:write("LEFT ", #getServers(), " ", tostring(ok), "\\n")')
    rows = b.wait_servers(lambda rows: "b1" not in rows, timeout=SLACK, what="b1 gone")
    assert set(rows) == {"b2"}, rows
    before1, before3 = be1.count, be3.count
    c = client()
    for i in range(10):
        r = c.ask(make_query(f"after-rm-{i}.test.", qid=i), b.listen[0])
        assert r is not None, f"query {i} unanswered{b.diagnostics()}"
        assert a_addresses(r) == [be2.host], "answered by a removed server"
    assert be1.count == before1 and be3.count == before3 == 0
    assert "LEFT 1 false" in b.stdout(), b.stdout()[-2000:]


LAZY = {"healthCheckMode": "lazy", "checkName": "hc.test.", "checkInterval": 1,
        "checkTimeout": 300, "lazyHealthCheckSampleSize": 10,
        "lazyHealthCheckMinSampleCount": 5, "lazyHealthCheckThreshold": 50}


def checks(be):
    return [r for r in be.queries if r.msg.question[0].name.to_text().lower() == "hc.test."]


def test_lazy_no_checks_while_healthy_then_down_on_timeouts(start_ballast, backends, client):
    be = backends()
    spare = backends()
    b = start_ballast(servers=[be, spare], server_opts=[LAZY, {"checkName": "spare.invalid."}],
                      lua="setUDPTimeout(1)\nsetServerPolicy(firstAvailable)\n")
    c = client()
    for i in range(10):
        r = c.ask(make_query(f"lazy-ok-{i}.test.", qid=i), b.listen[0])
        assert a_addresses(r) == [be.host], f"query {i}{b.diagnostics()}"
    time.sleep(2.5)  # an active checker would have sent two checks by now
    assert checks(be) == [], "health checks sent to a healthy lazy backend"
    assert b.servers()["b1"]["State"] == "up"

    be.mode = "silent"  # client queries and checks now time out
    for i in range(10):
        c.send(make_query(f"lazy-lost-{i}.test.", qid=100 + i), b.listen[0])
    b.wait_servers(lambda rows: rows["b1"]["State"] == "down", timeout=1 + 1 + SLACK,
                   what="lazy b1 marked down after its client queries timed out")
    assert len(checks(be)) >= 1, "marked down without an active check"
    # Down now: queries go to the spare.
    c.drain()
    r = c.ask(make_query("lazy-after.test.", qid=999), b.listen[0])
    assert r is not None and a_addresses(r) == [spare.host], b.diagnostics()


def test_lazy_servfail_counts_unless_timeout_only(start_ballast, backends, client):
    be1, be2 = backends(), backends()
    only = dict(LAZY, lazyHealthCheckMode="TimeoutOnly")
    b = start_ballast(servers=[be1, be2], server_opts=[LAZY, only],
                      lua="setServerPolicy(roundrobin)\n")
    c = client()
    for i in range(20):
        c.ask(make_query(f"servfail-{i}.test.", qid=i), b.listen[0])
    # b1 is suspected and checked (hc.test. answers fine, so it stays up); b2 ignores SERVFAIL.
    deadline = time.monotonic() + SLACK
    while time.monotonic() < deadline and not checks(be1):
        time.sleep(0.05)
    assert len(checks(be1)) >= 1, f"no check after SERVFAILs{b.diagnostics()}"
    assert checks(be2) == [], "TimeoutOnly backend checked after SERVFAILs"
    rows = b.wait_servers(lambda rows: "b1" in rows, timeout=SLACK, what="a server table")
    assert rows["b1"]["State"] == "up" and rows["b2"]["State"] == "up", rows


def test_lazy_options_validated(ballast_binary, tmp_path):
    for opts, word in (({"lazyHealthCheckMode": "Sometimes"}, "lazyHealthCheckMode"),
                       ({"lazyHealthCheckThreshold": 101}, "lazyHealthCheckThreshold")):
        path = tmp_path / "bad.conf"
        path.write_text(harness.lua_new_server("127.0.0.1:53", healthCheckMode="lazy", **opts))
        res = harness.run_binary(["-C", str(path), "--check-config"])
        assert res.returncode != 0 and word in res.stdout + res.stderr, res
    good = tmp_path / "good.conf"
    good.write_text(harness.lua_new_server("127.0.0.1:53", **dict(LAZY, lazyHealthCheckFailedInterval=5,
                    lazyHealthCheckUseExponentialBackOff=True, lazyHealthCheckMaxBackOff=60)))
    res = harness.run_binary(["-C", str(good), "--check-config"])
    assert res.returncode == 0, res
