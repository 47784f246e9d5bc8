# SPDX-License-Identifier: GPL-2.0-only
"""Rules and actions written in Lua: LuaRule and LuaAction with the DNSQuestion object,
LuaFFIRule and LuaFFIAction (shared state), LuaFFIPerThreadRule and LuaFFIPerThreadAction
(one state per query thread), and the errors that stop start-up."""

import dns.flags
import dns.rcode

import harness
from fakedns import a_addresses
from rules_util import ask, rcode

REFUSED, NXDOMAIN = dns.rcode.REFUSED, dns.rcode.NXDOMAIN

LUA = r"""
addAction(LuaRule(function(dq)
  return dq.qname:isPartOf("luarule.test.") and dq.qtype == DNSQType.AAAA
end), RCodeAction(DNSRCode.REFUSED))

addAction("luaaction.test.", LuaAction(function(dq)
  local first = dq.qname:toString():match("^([^.]+)")
  if first == "nx" then return DNSAction.Nxdomain, "" end
  if first == "pool" then return DNSAction.Pool, "abuse" end
  if first == "spoof" then return DNSAction.Spoofed, "192.0.2.55" end
  if first == "spoof2" then return DNSAction.Spoof, "192.0.2.56" end
  if first == "spoofraw" then return DNSAction.SpoofRaw, "\192\000\002\057" end
  if first == "norec2" then return DNSAction.NoRecurse, "" end
  if first == "consts" and DNSSection.Additional == 3 and EDNSOptionCode.ECS == 8
     and EDNSOptionCode.COOKIE == 10 then
    return DNSAction.Refused, ""
  end
  if first == "drop" then return DNSAction.Drop, "" end
  if first == "from" then
    if dq.remoteaddr:toString() == "127.0.0.1" and dq.localaddr:getPort() > 0 and dq.dh:getRD() then
      return DNSAction.Refused, ""
    end
  end
  if first == "tag" then dq:setTag("who", "lua") end
  if first == "norec" then dq.dh:setRD(false) end
  return DNSAction.None, ""
end))
addAction(AndRule{QNameSuffixRule("luaaction.test."), TagRule("who", "lua")}, RCodeAction(DNSRCode.NOTIMP))

local ffi = require("ffi")
addAction(LuaFFIRule(function(dq)
  return ffi.C.dnsdist_ffi_dnsquestion_get_qtype(dq) == 16
    and ffi.C.dnsdist_ffi_dnsquestion_get_remote_port(dq) > 0
end), RCodeAction(DNSRCode.REFUSED))

addAction("ffiaction.test.", LuaFFIAction(function(dq)
  local buf = ffi.new("char[256]")
  ffi.C.dnsdist_ffi_dnsquestion_get_qname_text(dq, buf, 256)
  local name = ffi.string(buf)
  if name:sub(1, 5) == "pool." then
    local p = "abuse"
    ffi.C.dnsdist_ffi_dnsquestion_set_result(dq, p, #p)
    return DNSAction.Pool
  end
  return DNSAction.Nxdomain
end))

addAction(LuaFFIPerThreadRule([[
  local ffi = require("ffi")
  return function(dq)
    local n = ffi.new("const char*[1]")
    local len = ffi.new("size_t[1]")
    ffi.C.dnsdist_ffi_dnsquestion_get_qname_raw(dq, n, len)
    local wire = ffi.string(n[0], len[0])
    return wire:find("perthread", 1, true) ~= nil and ffi.C.dnsdist_ffi_dnsquestion_get_qtype(dq) == 15
  end
]]), RCodeAction(DNSRCode.REFUSED))

addAction("ptaction.test.", LuaFFIPerThreadAction([[
  local ffi = require("ffi")
  local seen = 0  -- per thread, so no lock is needed
  return function(dq)
    seen = seen + 1
    if ffi.C.dnsdist_ffi_dnsquestion_get_qtype(dq) == 1 then
      local s = "192.0.2." .. tostring(seen % 200 + 1)
      ffi.C.dnsdist_ffi_dnsquestion_set_result(dq, s, #s)
      return DNSAction.Spoofed
    end
    ffi.C.dnsdist_ffi_dnsquestion_set_tag(dq, "k", "v")
    return DNSAction.None
  end
]]))
addAction(AndRule{QNameSuffixRule("ptaction.test."), TagRule("k", "v")}, RCodeAction(DNSRCode.NXDOMAIN))
"""


def test_lua_rules_and_actions(start_ballast, backends, client):
    default, abuse = backends(), backends()
    b = start_ballast(servers=[default, abuse], server_opts=[{}, {"pool": "abuse"}], lua=LUA)
    c = client()
    # LuaRule
    assert rcode(ask(c, b, "x.luarule.test.", "AAAA")) == REFUSED
    assert a_addresses(ask(c, b, "x.luarule.test.")) == [default.answer]
    # LuaAction and the DNSQuestion
    assert rcode(ask(c, b, "nx.luaaction.test.")) == NXDOMAIN
    assert a_addresses(ask(c, b, "pool.luaaction.test.")) == [abuse.answer]
    assert a_addresses(ask(c, b, "spoof.luaaction.test.")) == ["192.0.2.55"]
    # dnsdist 1.7's spellings and constants
    assert a_addresses(ask(c, b, "spoof2.luaaction.test.")) == ["192.0.2.56"]
    assert a_addresses(ask(c, b, "spoofraw.luaaction.test.")) == ["192.0.2.57"]
    assert rcode(ask(c, b, "consts.luaaction.test.")) == REFUSED
    default.reset()
    assert a_addresses(ask(c, b, "norec2.luaaction.test.")) == [default.answer]
    assert not default.queries[-1].msg.flags & dns.flags.RD
    assert ask(c, b, "drop.luaaction.test.", timeout=0.3) is None
    assert rcode(ask(c, b, "from.luaaction.test.")) == REFUSED
    assert rcode(ask(c, b, "tag.luaaction.test.")) == dns.rcode.NOTIMP
    default.reset()
    assert a_addresses(ask(c, b, "norec.luaaction.test.")) == [default.answer]
    assert not default.queries[-1].msg.flags & dns.flags.RD
    # LuaFFIRule, LuaFFIAction
    assert rcode(ask(c, b, "any.test.", "TXT")) == REFUSED
    assert rcode(ask(c, b, "x.ffiaction.test.")) == NXDOMAIN
    assert a_addresses(ask(c, b, "pool.ffiaction.test.")) == [abuse.answer]
    # per-thread FFI
    assert rcode(ask(c, b, "x.perthread.test.", "MX")) == REFUSED
    assert a_addresses(ask(c, b, "x.perthread.test.")) == [default.answer]
    first = a_addresses(ask(c, b, "a.ptaction.test."))
    second = a_addresses(ask(c, b, "b.ptaction.test."))
    assert first and second and first != second  # the state persists between queries
    assert rcode(ask(c, b, "a.ptaction.test.", "SRV")) == NXDOMAIN


def test_lua_rule_errors(tmp_path):
    for bad, reason in [
        ("addAction(LuaRule(42), DropAction())", "LuaRule: expects a function"),
        ('addAction(AllRule(), LuaFFIPerThreadAction("return 42"))', "the code must return a function"),
        ('addAction(AllRule(), LuaFFIPerThreadAction("syntax error here"))', "LuaFFIPerThreadAction"),
    ]:
        conf = tmp_path / "bad.conf"
        conf.write_text("-- line 1\n" + bad + "\n")
        r = harness.run_binary(["-C", str(conf), "--check-config"])
        assert r.returncode != 0
        assert f"{conf}:2:" in r.stderr and reason in r.stderr, r.stderr


def test_failing_lua_rule_does_not_stop_queries(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be], lua='addAction(LuaRule(function(dq) error("boom") end), DropAction())\n')
    c = client()
    for i in range(3):
        assert a_addresses(ask(c, b, f"x{i}.test.")) == [be.answer]
    assert "boom" in b.stderr()
