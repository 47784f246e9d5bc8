# SPDX-License-Identifier: GPL-2.0-only
"""dnsdist 1.7 rules, actions and settings that real configurations use (issue 20), through
the binary: TrailingDataRule, EDNSVersionRule, DNSSECRule, MaxQPSRule's sense, QPSAction,
NegativeAndSOAAction, SetEDNSOptionAction, the Spoof* options, the Lua response actions,
setPayloadSizeOnSelfGeneratedAnswers and setServerPolicyLuaFFIPerThread."""

import re

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import pytest

from fakedns import a_addresses, make_query, to_wire
import harness
from rules_util import RUNTIME_COMMANDS_LUA, ask, rcode, run_commands

REFUSED = dns.rcode.REFUSED


def refuse(selector, suffix):
    return (f'addAction(AndRule{{QNameSuffixRule("{suffix}"), {selector}}}, '
            f'RCodeAction(DNSRCode.REFUSED))\n')


LUA = "".join([
    refuse("TrailingDataRule()", "trail.test."),
    refuse("EDNSVersionRule(0)", "ednsv.test."),
    refuse("DNSSECRule()", "dnssec.test."),
    refuse("NotRule(MaxQPSRule(5))", "maxqps.test."),
    'addAction("qpsaction.test.", QPSAction(5))\n',
    'addAction("neg.test.", NegativeAndSOAAction(true, "neg.test.", 300, "ns.neg.test.", '
    '"hostmaster.neg.test.", 2024, 3600, 600, 86400, 60, {aa=true}))\n',
    'addAction("nodata.test.", NegativeAndSOAAction(false, "nodata.test.", 30, "ns.nodata.test.", '
    '"hm.nodata.test.", 1, 2, 3, 4, 5))\n',
    'addAction("ednsopt.test.", SetEDNSOptionAction(65001, "abc"))\n',
    'addAction("spoofopts.test.", SpoofAction({"192.0.2.7"}, {aa=true, ad=true, ttl=99}))\n',
    'addAction("spoofra.test.", SpoofAction("192.0.2.8", {ra=false}))\n',
    'addAction("cnameopts.test.", SpoofCNAMEAction("t.example.", {ttl=42, aa=true}))\n',
    'addAction("rawopts.test.", SpoofRawAction("\\192\\000\\002\\009", {ttl=7}))\n',
    'addAction("rcodeopts.test.", RCodeAction(DNSRCode.REFUSED, {aa=true, ra=false}))\n',
    'setPayloadSizeOnSelfGeneratedAnswers(1400)\n',
    'function servfailIt(dr) return DNSResponseAction.ServFail end\n',
    'addResponseAction("luaresp.test.", LuaResponseAction(servfailIt))\n',
    'function dropIt(dr) return DNSResponseAction.Drop end\n',
    'addResponseAction("ffiresp.test.", LuaFFIResponseAction(dropIt))\n',
    'addResponseAction("ptresp.test.", LuaFFIPerThreadResponseAction('
    '"return function(dr) return DNSResponseAction.ServFail end"))\n',
    'setCacheCleaningPercentage(50)\n',
    'addAction("rcodera.test.", RCodeAction(DNSRCode.REFUSED))\n',
    'addAction("nopool.test.", PoolAction("empty"))\n',
    'setServFailWhenNoServer(true)\n',
    'addAction("norec.test.", SetNoRecurseAction())\n',
    'addAction("cdset.test.", SetDisableValidationAction())\n',
    'setServerPolicyLuaFFIPerThread("second", "return function(servers, dq) return 1 end")\n',
])


@pytest.fixture(scope="module")
def env(module_ballast, module_backends):
    first, second = module_backends(), module_backends()
    b = module_ballast(servers=[first, second], lua=LUA)
    return {"b": b, "first": first, "second": second}


@pytest.fixture
def c(client):
    return client("127.0.0.1")


def forwarded(msg, env):
    assert msg is not None and msg.rcode() == dns.rcode.NOERROR
    return a_addresses(msg) == [env["second"].answer]


def test_ffi_per_thread_policy_picks_the_second_server(env, c):
    for i in range(4):
        assert forwarded(ask(c, env["b"], f"p{i}.policy.test."), env)
    assert env["first"].count == 0


def test_trailing_data_rule(env, c):
    b = env["b"]
    wire = to_wire(make_query("x.trail.test.")) + b"\x00\x01junk"
    got = c.ask(wire, b.listen[0], timeout=1.0)
    assert got is not None and got.rcode() == REFUSED
    assert forwarded(ask(c, b, "y.trail.test."), env)


def test_edns_version_and_dnssec_rules(env, c):
    b = env["b"]
    q = make_query("x.ednsv.test.", payload=1232)
    q.use_edns(1, 0, 1232)
    assert c.ask(q, b.listen[0]).rcode() == REFUSED
    assert forwarded(c.ask(make_query("y.ednsv.test.", payload=1232), b.listen[0]), env)
    assert rcode(ask(c, b, "x.dnssec.test.", want_dnssec=True, payload=1232)) == REFUSED
    assert forwarded(ask(c, b, "y.dnssec.test.", payload=1232), env)


def test_max_qps_rule_matches_the_first_queries(env, c):
    got = [ask(c, env["b"], f"q{i}.maxqps.test.").rcode() for i in range(20)]
    assert got[:5] == [dns.rcode.NOERROR] * 5
    assert got.count(REFUSED) >= 10


def test_qps_action_drops_above_the_limit(env, c):
    # All at once: 5 tokens, and about none refilled while they arrive.
    for i in range(20):
        c.send(make_query(f"q{i}.qpsaction.test."), env["b"].listen[0])
    got = c.recv_all(20, 1.0)
    assert 5 <= len(got) <= 8, len(got)


def test_negative_and_soa(env, c):
    r = ask(c, env["b"], "x.neg.test.", payload=1232)
    assert r.rcode() == dns.rcode.NXDOMAIN
    assert r.flags & dns.flags.AA and r.flags & dns.flags.RA  # RA copies the query's RD
    assert not r.answer and not r.authority
    soa = [rr for rr in r.additional if rr.rdtype == dns.rdatatype.SOA]
    assert len(soa) == 1 and soa[0].ttl == 300
    assert str(soa[0].name) == "neg.test."
    s = soa[0][0]
    assert (s.serial, s.refresh, s.retry, s.expire, s.minimum) == (2024, 3600, 600, 86400, 60)
    assert str(s.mname) == "ns.neg.test." and str(s.rname) == "hostmaster.neg.test."
    assert r.payload == 1400  # setPayloadSizeOnSelfGeneratedAnswers
    r = ask(c, env["b"], "x.nodata.test.")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer and not r.flags & dns.flags.AA
    assert r.additional[0].rdtype == dns.rdatatype.SOA


def test_set_edns_option_reaches_the_backend(env, c):
    second = env["second"]
    before = len(second.queries)
    assert forwarded(ask(c, env["b"], "x.ednsopt.test."), env)
    got = second.queries[before:]
    assert len(got) == 1
    opts = [(o.otype, o.to_wire() if hasattr(o, "to_wire") else None) for o in got[0].msg.options]
    assert any(int(t) == 65001 for t, _ in opts), opts
    raw = got[0].wire
    assert b"\xfd\xe9\x00\x03abc" in raw
    assert got[0].msg.payload == 512  # the OPT dnsdist adds to a query without one


def test_spoof_options(env, c):
    b = env["b"]
    r = ask(c, b, "x.spoofopts.test.")
    assert a_addresses(r) == ["192.0.2.7"]
    assert r.answer[0].ttl == 99
    assert r.flags & dns.flags.AA and r.flags & dns.flags.AD and r.flags & dns.flags.RA
    r = ask(c, b, "x.spoofopts.test.", rd=False)
    assert not r.flags & dns.flags.RA  # RA follows RD unless ra= says otherwise
    r = ask(c, b, "x.spoofra.test.")
    assert a_addresses(r) == ["192.0.2.8"] and not r.flags & dns.flags.RA
    assert not r.flags & dns.flags.AA
    r = ask(c, b, "x.cnameopts.test.")
    assert r.answer[0].rdtype == dns.rdatatype.CNAME and r.answer[0].ttl == 42
    assert r.flags & dns.flags.AA
    r = ask(c, b, "x.rawopts.test.")
    assert a_addresses(r) == ["192.0.2.9"] and r.answer[0].ttl == 7
    r = ask(c, b, "x.rcodeopts.test.")
    assert r.rcode() == REFUSED and r.flags & dns.flags.AA and not r.flags & dns.flags.RA


def test_lua_response_actions(env, c):
    b = env["b"]
    assert rcode(ask(c, b, "x.luaresp.test.")) == dns.rcode.SERVFAIL
    assert ask(c, b, "x.ffiresp.test.", timeout=0.5) is None
    assert rcode(ask(c, b, "x.ptresp.test.")) == dns.rcode.SERVFAIL
    assert forwarded(ask(c, b, "x.other.test."), env)


def test_bad_options_fail_with_the_reason(tmp_path):
    for lua, reason in [
        ('addAction(AllRule(), QPSAction(0))', "QPSAction: qps must be positive"),
        ('addAction(AllRule(), SpoofAction("192.0.2.1", {tll=3}))', "tll"),
        ('addAction(AllRule(), NegativeAndSOAAction(true, "a.", 1, "b.", "c.", 1, 2, 3, 4))',
         "minimum"),
        ('addAction(AllRule(), SetEDNSOptionAction(70000, "x"))', "option code"),
    ]:
        path = tmp_path / "bad.conf"
        path.write_text(f'setLocal("127.0.0.1:5300")\n{lua}\n')
        res = harness.run_binary(["-C", str(path), "--check-config"])
        assert res.returncode != 0, lua
        assert f"{path}:2:" in res.stdout + res.stderr, res.stdout + res.stderr
        assert reason in res.stdout + res.stderr, res.stdout + res.stderr


def test_bad_weight_is_logged_and_the_server_left_out(start_ballast, backends, client):
    good, bad = backends(), backends()
    b = start_ballast(servers=[good], lua=harness.lua_new_server(bad, name="bad", weight=0) + "\n")
    for i in range(3):
        r = ask(client("127.0.0.1"), b, f"w{i}.weight.test.")
        assert a_addresses(r) == [good.answer]
    assert bad.count == 0
    assert "weight value must be" in b.stderr()


def test_show_version_and_dynblock_group_spelling(tmp_path):
    path = tmp_path / "v.conf"
    path.write_text('setLocal("127.0.0.1:5300")\nshowVersion()\n'
                    'local g = dynBlockRulesGroup()\ng:setQuiet(true)\n'
                    'g:setMasks(24, 64, 0)\ng:setQueryRate(100, 10, "too fast", 60)\n')
    res = harness.run_binary(["-C", str(path), "--check-config"])
    assert res.returncode == 0, res.stdout + res.stderr
    # dnsdist prints "dnsdist X.Y.Z"; scripts that split on the space read ballast's alike.
    assert re.match(r"^ballast \d+\.\d+\.\d+\n", res.stdout), res.stdout


def test_pre_16_action_names_and_log_functions(start_ballast, backends, client):
    be = backends()
    lua = ('addAction("old.test.", SetNegativeAndSOAAction(false, "old.test.", 30, "ns.old.test.", '
           '"hm.old.test.", 1, 2, 3, 4, 5))\n'
           'addAction("norec.test.", NoRecurseAction())\n'
           'addAction("norec.test.", TagAction("k", "v"))\n'
           'addAction("norec.test.", SkipCacheAction())\n'
           'addAction("norec.test.", DisableValidationAction())\n'
           'errlog("an error line")\nwarnlog("a warning line")\ninfolog("an info line")\n')
    b = start_ballast(servers=[be], lua=lua)
    r = ask(client("127.0.0.1"), b, "x.old.test.")
    assert r.rcode() == dns.rcode.NOERROR and r.additional[0].rdtype == dns.rdatatype.SOA
    before = len(be.queries)
    assert a_addresses(ask(client("127.0.0.1"), b, "x.norec.test.")) == [be.answer]
    q = be.queries[before:][0].msg
    assert not q.flags & dns.flags.RD and q.flags & dns.flags.CD
    assert "an error line" in b.stderr() and "a warning line" in b.stderr()
    assert "an info line" in b.stdout()


def test_mv_rule_to_top(start_ballast, backends, client):
    be = backends()
    lua = ('addAction("top.test.", RCodeAction(DNSRCode.NXDOMAIN))\n'
           'addAction("top.test.", RCodeAction(DNSRCode.REFUSED))\n'
           'mvRuleToTop()\n')
    b = start_ballast(servers=[be], lua=lua)
    assert rcode(ask(client("127.0.0.1"), b, "x.top.test.")) == REFUSED


def test_add_edns_to_self_generated_responses_off(start_ballast, backends, client):
    be = backends()
    lua = ('setAddEDNSToSelfGeneratedResponses(false)\n'
           'addAction("refused.test.", RCodeAction(DNSRCode.REFUSED))\n'
           'addAction("spoofed.test.", SpoofAction("192.0.2.1"))\n')
    b = start_ballast(servers=[be], lua=lua)
    c = client("127.0.0.1")
    for name in ("x.refused.test.", "x.spoofed.test."):
        r = ask(c, b, name, payload=1232)
        assert r is not None and r.edns == -1, name  # no OPT although the query had one
    assert ask(c, b, "x.other.test.", payload=1232).edns == 0  # forwarded: the backend's OPT


def test_get_bind_count_and_show_binds(tmp_path):
    path = tmp_path / "binds.conf"
    path.write_text('setLocal("127.0.0.1:5300")\naddLocal("127.0.0.2:5300", {doTCP=false})\n'
                    'infolog("binds=" .. getBindCount())\nshowBinds()\n')
    res = harness.run_binary(["-C", str(path), "--check-config"])
    assert res.returncode == 0, res.stdout + res.stderr
    assert "binds=3" in res.stdout
    rows = [line.split() for line in res.stdout.splitlines() if re.match(r"^\d+ ", line)]
    assert rows == [["0", "127.0.0.1:5300", "UDP"], ["1", "127.0.0.1:5300", "TCP"],
                    ["2", "127.0.0.2:5300", "UDP"]]


def test_top_rules_shows_the_most_matched(start_ballast, backends, client):
    be = backends()
    lua = RUNTIME_COMMANDS_LUA + (
        'addAction("rare.test.", RCodeAction(DNSRCode.NXDOMAIN), {name="rare"})\n'
        'addAction("often.test.", RCodeAction(DNSRCode.REFUSED), {name="often"})\n'
        'addAction("never.test.", DropAction(), {name="never"})\n')
    b = start_ballast(servers=[be], lua=lua)
    c = client("127.0.0.1")
    ask(c, b, "x.rare.test.")
    for i in range(3):
        ask(c, b, f"x{i}.often.test.")
    run_commands(b, 'print("TOP-BEGIN")\ntopRules(2)\nprint("TOP-END")\n')
    out = b.stdout().split("TOP-BEGIN")[-1].split("TOP-END")[0]
    rows = [line.split() for line in out.splitlines() if re.match(r"^\d+ ", line)]
    assert [(r[0], r[1], r[2]) for r in rows] == [("0", "often", "3"), ("1", "rare", "1")], out


def test_tls_options_of_real_configurations(tmp_path):
    from test_doh import make_cert
    cert, key = make_cert(tmp_path)
    path = tmp_path / "tls.conf"
    path.write_text(
        'setLocal("127.0.0.1:5300")\n'
        f'addTLSLocal("127.0.0.1:8853", "{cert}", "{key}", '
        '{numberOfTicketsKeys=0, maxInFlight=100})\n'
        f'addDOHLocal("127.0.0.1:8443", "{cert}", "{key}", "/dns-query", '
        '{numberOfTicketsKeys=0})\n')
    res = harness.run_binary(["-C", str(path), "--check-config"])
    assert res.returncode == 0, res.stdout + res.stderr


def test_skip_cache_response_action_and_temp_failure_ttl(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be], lua=(
        'pc = newPacketCache(100, {temporaryFailureTTL=60})\n'
        'getPool(""):setCache(pc)\n'
        'addResponseAction("nocache.test.", SetSkipCacheResponseAction())\n'
        'addAction("servfail-short.test.", SetTempFailureCacheTTLAction(0))\n'))
    c = client()
    # Not cached: each query reaches the backend.
    for _ in range(3):
        assert a_addresses(c.ask(make_query("nocache.test."), b.listen[0])) == [be.host]
    assert be.count == 3, "SetSkipCacheResponseAction: the answer was cached"
    # Cached as usual without the rule.
    for _ in range(3):
        assert a_addresses(c.ask(make_query("cached.test."), b.listen[0])) == [be.host]
    assert be.count == 4
    # SERVFAIL kept for temporaryFailureTTL (60 s) unless the query rule says 0.
    for _ in range(2):
        assert c.ask(make_query("servfail-long.test."), b.listen[0]).rcode() == dns.rcode.SERVFAIL
    assert be.count == 5
    for _ in range(2):
        assert c.ask(make_query("servfail-short.test."), b.listen[0]).rcode() == dns.rcode.SERVFAIL
    assert be.count == 7, "SetTempFailureCacheTTLAction(0): the SERVFAIL was cached"


def test_self_generated_answers_leave_ra_as_the_query_had_it(env, c):
    """dnsdist copies RD into RA only on spoofed answers; RCode and no-server answers keep
    the query's RA (clear from a normal client)."""
    r = ask(c, env["b"], "x.rcodera.test.")
    assert r.rcode() == REFUSED and not r.flags & dns.flags.RA and r.flags & dns.flags.RD
    r = ask(c, env["b"], "x.nopool.test.")
    assert r.rcode() == dns.rcode.SERVFAIL and not r.flags & dns.flags.RA


@pytest.mark.parametrize("name, bit", [("x.norec.test.", dns.flags.RD),
                                       ("x.cdset.test.", dns.flags.CD)])
def test_client_rd_and_cd_restored_on_backend_answers(env, c, name, bit):
    second = env["second"]
    before = len(second.queries)
    r = ask(c, env["b"], name)
    assert forwarded(r, env)
    seen = second.queries[before:]
    assert len(seen) == 1
    # The rule changed the bit on the way to the backend; the client gets its own back.
    assert bool(seen[0].msg.flags & bit) == (bit == dns.flags.CD)
    assert bool(r.flags & bit) == (bit == dns.flags.RD)
