# SPDX-License-Identifier: GPL-2.0-only
"""Load-balancing policies written in Lua (issue 3): setServerPolicyLua,
setServerPolicyLuaFFI, newServerPolicy, setPoolServerPolicyLua; each routes as written."""

import harness
from fakedns import a_addresses
from rules_util import ask


def answered_by(c, b, name):
    got = ask(c, b, name)
    assert got is not None, f"no answer for {name}"
    return a_addresses(got)[0]


def test_lua_policy_routes_as_written(start_ballast, backends, client):
    bes = [backends(), backends()]
    b = start_ballast(servers=bes, lua="""
setServerPolicyLua("byname", function(servers, dq)
  if dq.qname:toString():sub(1, 4) == "one." then return servers[1] end
  if dq.qtype == DNSQType.TXT then return 2 end  -- a position, from 1
  return servers[#servers]
end)
""")
    c = client()
    for i in range(3):
        assert answered_by(c, b, f"one.x{i}.test.") == bes[0].answer
        assert answered_by(c, b, f"two.x{i}.test.") == bes[1].answer
    got = ask(c, b, "txt.test.", "TXT")
    assert got is not None and bes[1].count == 4


def test_lua_ffi_policy_sees_server_state(start_ballast, backends, client):
    bes = [backends(), backends(), backends()]
    b = start_ballast(servers=bes, lua="""
local ffi = require("ffi")
setServerPolicyLuaFFI("lastup", function(list, dq)
  local n = tonumber(ffi.C.dnsdist_ffi_servers_list_get_count(list))
  local server = ffi.new("const dnsdist_ffi_server_t*[1]")
  for i = n - 1, 0, -1 do
    ffi.C.dnsdist_ffi_servers_list_get_server(list, i, server)
    if ffi.C.dnsdist_ffi_server_is_up(server[0]) and ffi.string(ffi.C.dnsdist_ffi_server_get_name(server[0])) ~= "" then
      return i
    end
  end
  return 0
end)
getServer(2):setDown()
""")
    c = client()
    for i in range(3):
        assert answered_by(c, b, f"x{i}.test.") == bes[1].answer
    assert bes[2].count == 0 and bes[0].count == 0


def test_new_server_policy_and_pool_policy(start_ballast, backends, client):
    bes = [backends(), backends(), backends()]
    b = start_ballast(servers=bes, server_opts=[{}, {"pool": "p"}, {"pool": "p"}], lua="""
first = newServerPolicy("first", function(servers, dq) return servers[1] end)
setServerPolicy(first)
setPoolServerPolicyLua("second", function(servers, dq) return servers[2] end, "p")
addAction("pool.test.", PoolAction("p"))
showPools()
""")
    c = client()
    assert answered_by(c, b, "x.test.") == bes[0].answer
    for i in range(3):
        assert answered_by(c, b, f"y{i}.pool.test.") == bes[2].answer
    assert bes[1].count == 0
    assert "second" in b.stdout()


def test_lua_policy_errors(tmp_path):
    for bad, reason in [
        ('setServerPolicyLua("x", 3)', "setServerPolicyLua: expects a function"),
        ('setPoolServerPolicyLua("x", function() end)', "the pool name must be a string"),
    ]:
        conf = tmp_path / "bad.conf"
        conf.write_text("-- line 1\n" + bad + "\n")
        r = harness.run_binary(["-C", str(conf), "--check-config"])
        assert r.returncode != 0 and f"{conf}:2:" in r.stderr and reason in r.stderr, r.stderr


def test_failing_lua_policy_means_no_server(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be], lua='setServFailWhenNoServer(true)\n'
                                        'setServerPolicyLua("bad", function(s, dq) error("nope") end)\n')
    got = ask(client(), b, "x.test.")
    assert got is not None and got.rcode() == 2  # SERVFAIL: no server chosen
    assert "nope" in b.stderr()
