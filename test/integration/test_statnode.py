# SPDX-License-Identifier: GPL-2.0-only
"""StatNode objects (issue 20): statNodeRespRing hands its visitor dnsdist's StatNode
objects built from the response ring; DynBlockRulesGroup:setSuffixMatchRule (Lua and FFI)
blocks the names its visitor picks, for every client, and excludeDomains keeps names out."""

import time

import dns.rcode

import harness
from rules_util import RUNTIME_COMMANDS_LUA, ask, run_commands

REFUSED, NOERROR, NXDOMAIN = dns.rcode.REFUSED, dns.rcode.NOERROR, dns.rcode.NXDOMAIN


def start(start_ballast, backends, lua=""):
    be = backends()
    return start_ballast(servers=[be], lua=RUNTIME_COMMANDS_LUA + lua), be


def lines_between(b, begin, end):
    return b.stdout().split(begin)[-1].split(end)[0].strip().splitlines()


def test_stat_node_resp_ring_visitor_gets_nodes(start_ballast, backends, client):
    b, _ = start(start_ballast, backends)
    c = client(harness.ADDRESSES.next())
    for name in ("www.a.test.", "mail.a.test.", "nxdomain1.a.test.", "servfail1.b.test."):
        assert ask(c, b, name) is not None
    run_commands(b, """
print("SN-BEGIN")
statNodeRespRing(function(node, self, all)
  print(string.format("%s|%d|%d|%d|%d|%d|%d|%s", node.fullname, node.labelsCount,
        node:numChildren(), self.queries, all.queries, all.nxdomains, all.servfails,
        tostring(all.bytes > 0 and self.drops == 0)))
end)
print("SN-END")
""")
    rows = {r.split("|")[0]: r.split("|")[1:] for r in lines_between(b, "SN-BEGIN", "SN-END")}
    # fullname: labelsCount, numChildren, own queries, queries below, nx below, servfail below
    assert rows["test."][:6] == ["1", "2", "0", "4", "1", "1"]
    assert rows["a.test."][:6] == ["2", "3", "0", "3", "1", "0"]
    assert rows["www.a.test."][:6] == ["3", "0", "1", "1", "0", "0"]
    assert rows["nxdomain1.a.test."][:6] == ["3", "0", "1", "1", "1", "0"]
    assert rows["servfail1.b.test."][:6] == ["3", "0", "1", "1", "0", "1"]
    root = rows[""]  # the root, visited last (health checks' names are under it too)
    assert root[0] == "0" and int(root[1]) >= 1 and root[2] == "0" and int(root[3]) >= 4
    assert all(r[6] == "true" for r in rows.values())
    # With a window of seconds: responses older than it are left out.
    time.sleep(1.2)
    run_commands(b, """
n, all = 0, 0
statNodeRespRing(function(node) if node.fullname:find("test.$") then n = n + 1 end end, 1)
statNodeRespRing(function(node) if node.fullname:find("test.$") then all = all + 1 end end)
print("SN-COUNT " .. n .. " " .. all)
""")
    assert "SN-COUNT 0 7" in b.stdout()


def wait_rcode(c, b, name, want, timeout=4.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = ask(c, b, name)
        if got is not None and got.rcode() == want:
            return True
        time.sleep(0.1)
    return False


def test_suffix_match_rule_blocks_the_picked_name(start_ballast, backends, client):
    b, _ = start(start_ballast, backends, """
dbr = dynBlockRulesGroup()
dbr:setSuffixMatchRule(10, "suffix rule", 60, DNSAction.Refused, function(node, self, all)
  if node.labelsCount == 2 and all.nxdomains >= 5 then return true, "nx flood" end
  if node.labelsCount == 2 and all.queries >= 5 and node.fullname == "quiet.test." then
    return true
  end
  return false
end)
dbr:excludeDomains({"quiet.test"})
__rules_user_maintenance = function() dbr:apply() end
""")
    bad, other = client(harness.ADDRESSES.next()), client(harness.ADDRESSES.next())
    for i in range(6):
        assert ask(bad, b, f"nxdomain{i}.bad.test.").rcode() == NXDOMAIN
        assert ask(bad, b, f"q{i}.quiet.test.").rcode() == NOERROR
    assert ask(bad, b, "ok.good.test.").rcode() == NOERROR
    # maintenance() applies the group once a second; the block is by name, for everyone.
    assert wait_rcode(other, b, "x.bad.test.", REFUSED), "bad.test. was never blocked"
    assert ask(other, b, "deeper.x.bad.test.").rcode() == REFUSED
    assert ask(bad, b, "y.good.test.").rcode() == NOERROR
    assert ask(bad, b, "z.quiet.test.").rcode() == NOERROR  # excluded
    run_commands(b, 'print("DYN-BEGIN")\nshowDynBlocks()\nprint("DYN-END")\n')
    table = "\n".join(lines_between(b, "DYN-BEGIN", "DYN-END"))
    assert "bad.test." in table and "nx flood" in table and "Refused" in table
    assert "quiet.test." not in table and "good.test." not in table


def test_suffix_match_rule_ffi_visitor(start_ballast, backends, client):
    b, _ = start(start_ballast, backends, """
local ffi = require("ffi")
dbr = dynBlockRulesGroup()
dbr:setSuffixMatchRuleFFI(10, "ffi rule", 60, DNSAction.Nxdomain, function(node)
  local name = ffi.new("const char*[1]")
  local len = ffi.new("size_t[1]")
  ffi.C.dnsdist_ffi_stat_node_get_full_name_raw(node, name, len)
  local full = ffi.string(name[0], len[0])
  if full == "ffi.test." and ffi.C.dnsdist_ffi_stat_node_get_children_queries_count(node) >= 3
     and ffi.C.dnsdist_ffi_stat_node_get_labels_count(node) == 2 then
    local why = "picked by ffi"
    ffi.C.dnsdist_ffi_state_node_set_reason(node, why, #why)
    return true
  end
  return false
end)
__rules_user_maintenance = function() dbr:apply() end
""")
    c = client(harness.ADDRESSES.next())
    for i in range(3):
        assert ask(c, b, f"n{i}.ffi.test.").rcode() == NOERROR
    assert wait_rcode(c, b, "again.ffi.test.", NXDOMAIN), "ffi.test. was never blocked"
    assert ask(c, b, "other.test.").rcode() == NOERROR
    run_commands(b, 'print("DYN-BEGIN")\nshowDynBlocks()\nprint("DYN-END")\n')
    table = "\n".join(lines_between(b, "DYN-BEGIN", "DYN-END"))
    assert "ffi.test." in table and "picked by ffi" in table and "Nxdomain" in table
