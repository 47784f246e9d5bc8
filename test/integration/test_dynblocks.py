# SPDX-License-Identifier: GPL-2.0-only
"""Ring buffers and dynamic blocks through the binary: a flooding client is blocked by a
DynBlockRulesGroup run from maintenance() while another keeps being answered, and the block
expires; addDynBlocks with each action; top*() and grepq() read the rings."""

import time

import dns.flags
import dns.rcode

import harness
from fakedns import make_query
from rules_util import RUNTIME_COMMANDS_LUA, ask, run_commands

REFUSED, NOERROR = dns.rcode.REFUSED, dns.rcode.NOERROR


def start(start_ballast, backends, lua=""):
    be = backends()
    return start_ballast(servers=[be], lua=RUNTIME_COMMANDS_LUA + lua), be


def flood(c, b, n, name="flood.test."):
    """n queries sent at once; their answers collected (bounded wait)."""
    for i in range(n):
        c.send(make_query(f"q{i}.{name}", qid=i), b.listen[0])
    return c.recv_all(n, timeout=2.0)


def test_flooding_client_blocked_other_answered_then_expires(start_ballast, backends, client):
    b, be = start(start_ballast, backends, """
dbr = newDynBlockRulesGroup()
dbr:setQueryRate(20, 2, "Exceeded query rate", 2, DNSAction.Refused)
__rules_user_maintenance = function() dbr:apply() end
""")
    bad, good = client(harness.ADDRESSES.next()), client(harness.ADDRESSES.next())
    base = b.fresh_counters()
    assert len(flood(bad, b, 150)) == 150  # answered before the block
    # maintenance() runs once a second: the block arrives within about a second.
    deadline = time.monotonic() + 4
    blocked_at = None
    while time.monotonic() < deadline:
        got = ask(bad, b, "probe.test.")
        assert got is not None
        if got.rcode() == REFUSED:
            blocked_at = time.monotonic()
            break
        assert ask(good, b, "x.test.").rcode() == NOERROR
        time.sleep(0.1)
    assert blocked_at is not None, "the flooding client was never blocked"
    for i in range(5):
        assert ask(good, b, f"g{i}.test.").rcode() == NOERROR
        assert ask(bad, b, f"b{i}.test.").rcode() == REFUSED
    b.wait_deltas(base, {"dyn-blocked": 6}, exact=False)
    run_commands(b, 'print("DYN-BEGIN")\nshowDynBlocks()\nprint("DYN-END")\n')
    table = b.stdout().split("DYN-BEGIN")[-1].split("DYN-END")[0]
    assert f"{bad.host}/32" in table and "Exceeded query rate" in table and "Refused" in table
    assert good.host not in table
    # 2 s of blocking: then answered again (the probes stay under the rate).
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if ask(bad, b, "after.test.").rcode() == NOERROR:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the block never expired")
    assert time.monotonic() - blocked_at >= 1.0


def test_add_dyn_blocks_actions_and_clear(start_ballast, backends, client):
    b, be = start(start_ballast, backends)
    cl = {a: client(harness.ADDRESSES.next()) for a in ("drop", "nx", "tc", "noop", "default")}
    run_commands(b, f"""
addDynBlocks({{["{cl['drop'].host}"]=1}}, "dropped", 60, DNSAction.Drop)
addDynBlocks({{"{cl['nx'].host}/32"}}, "nx", 60, DNSAction.Nxdomain)
addDynBlocks({{"{cl['tc'].host}"}}, "tc", 60, DNSAction.Truncate)
addDynBlocks({{"{cl['noop'].host}"}}, "noop", 60, DNSAction.NoOp)
setDynBlocksAction(DNSAction.Refused)
addDynBlocks({{"{cl['default'].host}"}}, "default action")
""")
    assert ask(cl["drop"], b, "x.test.", timeout=0.3) is None
    assert ask(cl["nx"], b, "x.test.").rcode() == dns.rcode.NXDOMAIN
    got = ask(cl["tc"], b, "x.test.")
    assert got.flags & dns.flags.TC and not got.answer
    assert ask(cl["noop"], b, "x.test.").rcode() == NOERROR and be.count >= 1
    assert ask(cl["default"], b, "x.test.").rcode() == REFUSED
    run_commands(b, "clearDynBlocks()")
    for c in cl.values():
        assert ask(c, b, "y.test.").rcode() == NOERROR


def test_bad_dyn_block_arguments_fail_start_up(tmp_path):
    for bad, reason in [
        ('newDynBlockRulesGroup():setQueryRate(-1, 10, "r", 10)', "the rate must not be negative"),
        ('newDynBlockRulesGroup():setQueryRate(10, 10, "r", 10, DNSAction.Pool)', "the action must be"),
        ('addDynBlocks({"not an address"}, "r")', "addDynBlocks"),
        ('newDynBlockRulesGroup():excludeRange("300.0.0.0/8")', "excludeRange"),
    ]:
        conf = tmp_path / "bad.conf"
        conf.write_text("-- line 1\n" + bad + "\n")
        r = harness.run_binary(["-C", str(conf), "--check-config"])
        assert r.returncode != 0
        assert f"{conf}:2:" in r.stderr and reason in r.stderr, r.stderr


def test_rings_top_and_grepq(start_ballast, backends, client):
    b, be = start(start_ballast, backends, "setRingBuffersSize(1000, 2)\n")
    busy, quiet = client(harness.ADDRESSES.next()), client(harness.ADDRESSES.next())
    for i in range(6):
        assert ask(busy, b, f"h{i}.popular.test.") is not None
    assert ask(busy, b, "nxdomain-1.test.").rcode() == dns.rcode.NXDOMAIN
    assert ask(quiet, b, "once.test.") is not None
    assert ask(quiet, b, "delay-300.test.") is not None
    run_commands(b, f"""print("TOP-BEGIN")
topClients(2)
print("--")
topQueries(1, 2)
print("--")
topResponses(5, DNSRCode.NXDOMAIN)
print("--")
topSlow(5, 200)
print("--")
grepq("{quiet.host}")
print("--")
local t = exceedQRate(0.1, 10)
print("exceed", t["{busy.host}"], t["{quiet.host}"])
print("TOP-END")
""")
    out = b.stdout().split("TOP-BEGIN")[-1].split("TOP-END")[0]
    clients, queries, responses, slow, grep, exceed = out.split("--\n")
    first = clients.strip().splitlines()[0].split()
    assert first[:3] == ["1", busy.host, "7"], clients
    assert quiet.host in clients
    assert queries.strip().splitlines()[0].split()[1:3] == ["popular.test.", "6"], queries
    assert "nxdomain-1.test." in responses and "popular" not in responses
    assert "delay-300.test." in slow and "once.test." not in slow
    assert "once.test." in grep and "delay-300.test." in grep and "popular" not in grep
    assert "Question" in grep and "NOERROR" in grep
    assert exceed.split() == ["exceed", "7", "2"], exceed
