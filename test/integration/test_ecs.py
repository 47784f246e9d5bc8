# SPDX-License-Identifier: GPL-2.0-only
"""EDNS Client Subnet (newServer{useClientSubnet=true}, setECSSourcePrefixV4/V6,
setECSOverride, the ECS actions and DNSQuestion fields), the packet cache keyed by the
subnet (parseECS, zero scope), and TeeAction, through the real binary: what the fake
backends received is read off the wire."""

import struct

import dns.edns
import dns.message
import dns.query

import harness
from fakedns import a_addresses, make_query, wait_until
from test_console import ConsoleSetup, ok, wait_console

ECS = {"useClientSubnet": True}


def ecs_options(wire):
    """The ECS options of a query as raw (family, source, scope, address bytes) tuples."""
    msg = dns.message.from_wire(wire)
    out = []
    for o in msg.options:
        if o.otype == dns.edns.ECS:
            data = o.to_wire()
            family, source, scope = struct.unpack("!HBB", data[:4])
            out.append((family, source, scope, data[4:]))
    return out


def ecs_query(name, address, prefix):
    q = dns.message.make_query(name, "A", use_edns=0,
                               options=[dns.edns.ECSOption(address, prefix, 0)])
    return q


def test_ecs_added_with_the_clients_subnet_and_taken_out_of_the_answer(start_ballast, backends,
                                                                       client):
    be = backends()
    be.ecs_scope = 24
    b = start_ballast(servers=[be], server_opts=[ECS])
    c = client("127.0.0.1")
    answer = c.ask(make_query("plain.test."), b.listen[0])
    assert answer is not None and a_addresses(answer) == [be.host], b.diagnostics()
    wire = be.queries[-1].wire
    # Option 8, length 7, family 1, source /24, scope 0, 127.0.0 (RFC 7871).
    assert bytes([0, 8, 0, 7, 0, 1, 24, 0, 127, 0, 0]) in wire, wire.hex()
    assert ecs_options(wire) == [(1, 24, 0, bytes([127, 0, 0]))]
    # The client sent no EDNS: the OPT record added for ECS is not in its answer.
    assert answer.edns == -1, answer
    # With EDNS of its own, the client keeps its OPT but not the option it did not send.
    with_edns = c.ask(make_query("edns.test.", payload=1232), b.listen[0])
    assert with_edns.edns == 0
    assert not [o for o in with_edns.options if o.otype == dns.edns.ECS], with_edns
    assert ecs_options(be.queries[-1].wire) == [(1, 24, 0, bytes([127, 0, 0]))]


def test_no_ecs_without_use_client_subnet(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be])
    c = client()
    assert c.ask(make_query("noecs.test.", payload=1232), b.listen[0]) is not None
    assert ecs_options(be.queries[-1].wire) == []


def test_source_prefix_settings(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be], server_opts=[ECS],
                      lua="setECSSourcePrefixV4(18)\nsetECSSourcePrefixV6(48)\n")
    c = client("127.200.201.202")
    assert c.ask(make_query("prefix.test."), b.listen[0]) is not None, b.diagnostics()
    # /18 of 127.200.201.202: 127.200.192 (the low 6 bits of the third byte cleared).
    assert ecs_options(be.queries[-1].wire) == [(1, 18, 0, bytes([127, 200, 192]))]


def test_client_ecs_kept_unless_overridden(start_ballast, backends, client):
    be = backends()
    be.ecs_scope = 24
    b = start_ballast(servers=[be], server_opts=[ECS])
    c = client()
    answer = c.ask(ecs_query("kept.test.", "192.0.2.0", 24), b.listen[0])
    assert answer is not None, b.diagnostics()
    assert ecs_options(be.queries[-1].wire) == [(1, 24, 0, bytes([192, 0, 2]))]
    # The client's own option is not taken out of its answer.
    mine = [o for o in answer.options if o.otype == dns.edns.ECS]
    assert mine and mine[0].address == "192.0.2.0" and mine[0].scopelen == 24, answer

    b2 = start_ballast(servers=[be], server_opts=[ECS], lua="setECSOverride(true)\n")
    assert c.ask(ecs_query("override.test.", "192.0.2.0", 24), b2.listen[0]) is not None
    assert ecs_options(be.queries[-1].wire) == [(1, 24, 0, bytes([127, 0, 0]))]


def test_cache_is_keyed_by_subnet(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be], server_opts=[ECS],
                      lua='pc = newPacketCache(100)\ngetPool(""):setCache(pc)\n')
    first, other, same = client("127.10.1.5"), client("127.10.2.5"), client("127.10.1.77")
    assert first.ask(make_query("subnet.test."), b.listen[0]) is not None, b.diagnostics()
    assert other.ask(make_query("subnet.test."), b.listen[0]) is not None
    assert be.count == 2, "a client of another /24 got the first one's answer"
    assert same.ask(make_query("subnet.test."), b.listen[0]) is not None
    assert be.count == 2, "two clients of one /24 did not share the cache entry"
    sources = [ecs_options(q.wire)[0][3] for q in be.queries]
    assert sources == [bytes([127, 10, 1]), bytes([127, 10, 2])]
    # Same subnet, but with an OPT record of its own: not the answer made for a client
    # without one (which must carry no OPT), and the other way round.
    with_edns = same.ask(make_query("subnet.test.", payload=512), b.listen[0])
    assert be.count == 3 and with_edns.edns == 0
    again = first.ask(make_query("subnet.test."), b.listen[0])
    assert be.count == 3 and again.edns == -1, again


def test_zero_scope_answer_serves_every_subnet(start_ballast, backends, client):
    be = backends()
    be.ecs_scope = 0
    cache = 'pc = newPacketCache(100, {parseECS=true})\ngetPool(""):setCache(pc)\n'
    b = start_ballast(servers=[be], server_opts=[ECS], lua=cache)
    assert client("127.11.1.5").ask(make_query("zero.test."), b.listen[0]) is not None
    assert client("127.11.2.5").ask(make_query("zero.test."), b.listen[0]) is not None
    assert be.count == 1, "a scope-0 answer was not shared across subnets"

    be.reset()
    b2 = start_ballast(servers=[be], server_opts=[dict(ECS, disableZeroScope=True)], lua=cache)
    assert client("127.11.1.5").ask(make_query("zero2.test."), b2.listen[0]) is not None
    assert client("127.11.2.5").ask(make_query("zero2.test."), b2.listen[0]) is not None
    assert be.count == 2, "disableZeroScope did not keep subnets apart"


ACTION_CASES = [
    ('addAction(QNameRule("act.test."), SetDisableECSAction())', None),
    ('addAction(QNameRule("act.test."), DisableECSAction())', None),
    ('addAction(QNameRule("act.test."), SetECSAction("192.0.2.99/32"))',
     (1, 32, 0, bytes([192, 0, 2, 99]))),
    ('addAction(QNameRule("act.test."), SetECSAction("198.51.100.0/24", "2001:db8::/48"))',
     (1, 24, 0, bytes([198, 51, 100]))),
    ('addAction(QNameRule("act.test."), SetECSPrefixLengthAction(16, 48))',
     (1, 16, 0, bytes([127, 0]))),
    ('addAction(QNameRule("act.test."), ECSPrefixLengthAction(8, 48))', (1, 8, 0, bytes([127]))),
    ('addAction(AllRule(), LuaAction(function(dq) dq.ecsPrefixLength = 12 '
     'return DNSAction.None end))', (1, 12, 0, bytes([127, 0]))),
    ('addAction(AllRule(), LuaAction(function(dq) dq.useECS = false '
     'return DNSAction.None end))', None),
]


def test_ecs_actions(start_ballast, backends, client):
    be = backends()
    for rule, expect in ACTION_CASES:
        b = start_ballast(servers=[be], server_opts=[ECS], lua=rule + "\n")
        assert client().ask(make_query("act.test."), b.listen[0]) is not None, b.diagnostics()
        got = ecs_options(be.queries[-1].wire)
        assert got == ([expect] if expect else []), (rule, got)
        b.expect_exit = True
        b.stop()


def test_ecs_override_action_and_dq_fields(start_ballast, backends, client):
    be = backends()
    lua = ('addAction(QNameRule("over.test."), SetECSOverrideAction(true))\n'
           'addAction(QNameRule("old.test."), ECSOverrideAction(true))\n'
           'addAction(QNameRule("lua.test."), LuaAction(function(dq) '
           'dq.ecsOverride = not dq.ecsOverride return DNSAction.None end))\n')
    b = start_ballast(servers=[be], server_opts=[ECS], lua=lua)
    c = client()
    for name in ("over.test.", "old.test.", "lua.test."):
        assert c.ask(ecs_query(name, "192.0.2.0", 24), b.listen[0]) is not None
        assert ecs_options(be.queries[-1].wire) == [(1, 24, 0, bytes([127, 0, 0]))], name
    assert c.ask(ecs_query("kept.test.", "192.0.2.0", 24), b.listen[0]) is not None
    assert ecs_options(be.queries[-1].wire) == [(1, 24, 0, bytes([192, 0, 2]))]
    assert b.run_lua("return tostring(SetECSOverrideAction(true))") == "set ECS override to true"


def test_pool_set_ecs(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be], lua='getPool(""):setECS(true)\n')
    assert b.run_lua('return tostring(getPool(""):getECS())') == "true"
    assert b.run_lua('return tostring(getPool("other"):getECS())') == "false"
    # A server is up and does not ask for ECS: as dnsdist, the server's preference wins.
    assert client().ask(make_query("pool.test."), b.listen[0]) is not None
    assert ecs_options(be.queries[-1].wire) == []


def test_tee_action_copies_queries_and_counts_answers(start_ballast, backends, client):
    be, copy = backends(), backends()
    lua = (f'tee = TeeAction("{copy.address}")\n'
           'addAction(SuffixMatchNodeRule({"test."}), tee)\n'
           f'teeEcs = TeeAction("{copy.address}", true)\n'
           f'addAction(QNameRule("withecs.test."), teeEcs)\n'
           'addAction(QNameRule("tcp-tee.test."), SpoofAction("192.0.2.7"))\n')
    setup = ConsoleSetup()
    b = start_ballast(servers=[be], lua=lua + setup.lua())
    wait_console(setup)
    c = client()
    for name in ("tee1.test.", "nxdomain-tee.test.", "withecs.test."):
        answer = c.ask(make_query(name), b.listen[0])
        assert answer is not None and answer.id != 0, b.diagnostics()
        assert answer.rcode() in (0, 3)
    assert copy.wait_count(4), copy.queries
    names = sorted(q.msg.question[0].name.to_text() for q in copy.queries)
    assert names == ["nxdomain-tee.test.", "tee1.test.", "withecs.test.", "withecs.test."]
    with_ecs = [q for q in copy.queries if ecs_options(q.wire)]
    assert len(with_ecs) == 1 and ecs_options(with_ecs[0].wire) == [(1, 24, 0, bytes([127, 0, 0]))]
    assert be.count == 3, "the backend got the copy too"

    def stats():
        return dict(kv.split("=") for kv in b.run_lua(
            "local t = {} for k, v in pairs(tee:getStats()) do t[#t+1] = k .. '=' .. v end "
            "return table.concat(t, ' ')").split())
    assert wait_until(lambda: stats().get("responses") == "3"), stats()
    s = stats()
    assert s["queries"] == "3" and s["noerrors"] == "2" and s["nxdomains"] == "1", s
    assert s["send-errors"] == "0" and s["tcp-drops"] == "0" and s["servfails"] == "0", s
    # Over TCP the query is answered but not copied: counted as a tcp-drop, as dnsdist does.
    host, port = b.listen[0]
    over_tcp = dns.query.tcp(make_query("tcp-tee.test."), host, port=port, timeout=3)
    assert a_addresses(over_tcp) == ["192.0.2.7"]
    assert stats()["tcp-drops"] == "1" and stats()["queries"] == "3"
    printed = dict(line.split("\t") for line in ok(b, "tee:printStats()").splitlines() if line)
    assert printed["queries"] == "3" and printed["tcp-drops"] == "1", printed
    assert f"tee to {copy.address}" in ok(b, "showRules()")
    assert set(s) == {"queries", "responses", "recv-errors", "send-errors", "noerrors",
                      "nxdomains", "refuseds", "servfails", "other-rcode", "tcp-drops"}
    assert b.run_lua("return tostring(tee)") == f"tee to {copy.address}"


def test_resolver_refuses_use_client_subnet(tmp_path):
    path = tmp_path / "resolver.conf"
    path.write_text('setLocal("127.0.0.1:5300")\nnewResolver{useClientSubnet=true}\n')
    res = harness.run_binary(["-C", str(path), "--check-config"])
    assert res.returncode != 0
    text = res.stdout + res.stderr
    assert f"{path}:2:" in text and "useClientSubnet is not supported" in text, text
