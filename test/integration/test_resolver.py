# SPDX-License-Identifier: GPL-2.0-only
"""The embedded resolver (newResolver) through the real binary, resolving in a
fake hierarchy on loopback (resolver_world.py: nsd for the sane zones, scripted
authoritatives for the faults). Each test asks names no other test asks, so the
shared cache of the module's ballast does not blur what it measures."""

import socket
import threading
import time

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import pytest

import harness
from resolver_world import World

TIMEOUT_MS = 300


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(tmp_path_factory.mktemp("world"))
    yield w
    w.stop()


def resolver_lua(world, **opts):
    table = {"name": "rec", "instances": 2, "rootHints": [world.root],
             "outgoingTimeout": TIMEOUT_MS, "dnssec": "off"}
    table.update(opts)
    return f"newResolver({harness.lua_value(table)})\n"


@pytest.fixture(scope="module")
def rec(world, module_ballast):
    """One ballast with a two-instance resolver, shared by the module."""
    return module_ballast(lua=resolver_lua(world, nsid="rec-test"))


def ask(b, name, rtype="A", timeout=3.0, **kw):
    q = dns.message.make_query(name, rtype, **kw)
    host, port = b.listen[0]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.sendto(q.to_wire(), (host, port))
        wire, _ = s.recvfrom(65535)
        return dns.message.from_wire(wire)
    finally:
        s.close()


def addresses(r):
    return sorted(rd.to_text() for rrset in r.answer if rrset.rdtype == dns.rdatatype.A
                  for rd in rrset)


def test_answers_through_referrals_cnames_and_glueless_delegations(rec):
    r = ask(rec, "www.example.test.")
    assert r.rcode() == dns.rcode.NOERROR
    assert addresses(r) == ["192.0.2.80"]
    assert r.flags & dns.flags.RA and not r.flags & dns.flags.AA
    r = ask(rec, "alias.example.test.")
    assert [x.rdtype for x in r.answer] == [dns.rdatatype.CNAME, dns.rdatatype.A]
    assert addresses(r) == ["192.0.2.80"]
    # far.example.test. -> www.glueless.test., whose server has no glue: its name is
    # resolved first.
    r = ask(rec, "far.example.test.")
    assert addresses(r) == ["192.0.2.81"]
    r = ask(rec, "a.b.c.deep.example.test.")  # empty non-terminals under minimisation
    assert addresses(r) == ["192.0.2.82"]


def test_dname_is_followed_and_nsid_returned_when_asked(rec):
    r = ask(rec, "www.old.example.test.")
    assert [x.rdtype for x in r.answer] == [dns.rdatatype.DNAME, dns.rdatatype.CNAME,
                                            dns.rdatatype.A]
    assert addresses(r) == ["192.0.2.80"]
    r = ask(rec, "www.example.test.", use_edns=0,
            options=[dns.edns.GenericOption(dns.edns.NSID, b"")])
    nsid = [o for o in r.options if o.otype == dns.edns.NSID]
    assert nsid and nsid[0].to_wire() == b"rec-test"
    assert not ask(rec, "www.example.test.", use_edns=0).options


def test_repeat_is_served_from_the_cache_without_outgoing_query(rec, world):
    fake = world.fakes["counted"]
    base = rec.fresh_counters()
    assert addresses(ask(rec, "repeat.counted.test.")) == ["192.0.2.10"]
    assert fake.count("repeat.counted.test.") == 1
    snap, _ = rec.wait_deltas(base, {"resolver-rec-cache-misses": 1})
    r = ask(rec, "repeat.counted.test.")
    assert addresses(r) == ["192.0.2.10"]
    assert r.answer[0].ttl <= 300
    rec.wait_deltas(snap, {"resolver-rec-cache-hits": 1, "resolver-rec-outgoing-queries": 0,
                           "resolver-rec-cache-misses": 0})
    assert fake.count("repeat.counted.test.") == 1


def test_nxdomain_and_nodata_are_cached(rec, world):
    fake = world.fakes["counted"]
    for _ in range(3):
        r = ask(rec, "nxname.counted.test.")
        assert r.rcode() == dns.rcode.NXDOMAIN
        assert r.authority and r.authority[0].rdtype == dns.rdatatype.SOA
        assert r.authority[0].ttl <= 30
    assert fake.count("nxname.counted.test.") == 1
    for _ in range(3):
        r = ask(rec, "nodata.counted.test.", "AAAA")
        assert r.rcode() == dns.rcode.NOERROR and not r.answer
        assert r.authority[0].rdtype == dns.rdatatype.SOA
    assert fake.count("nodata.counted.test.", "AAAA") == 1


def test_out_of_bailiwick_glue_and_answers_are_ignored(rec, world):
    r = ask(rec, "www.poison.test.")
    assert addresses(r) == ["192.0.2.11"]  # the planted www.example.test. is not relayed
    assert "6.6.6.6" not in r.to_text()
    # poison.test.'s server claimed ns1.example.test. is 6.6.6.6: not believed.
    r = ask(rec, "ns1.example.test.")
    assert addresses(r) == [world.prefix + "3"]
    r = ask(rec, "www.example.test.")
    assert addresses(r) == ["192.0.2.80"]


def test_cname_loop_ends_in_servfail_within_bounds(rec, world):
    start = time.monotonic()
    r = ask(rec, "a.loop.test.")
    assert r.rcode() == dns.rcode.SERVFAIL and not r.answer
    assert time.monotonic() - start < 1.0
    assert world.fakes["loop"].count() <= 13  # maxChain links at most


def test_referral_loop_ends_in_servfail_within_bounds(rec, world):
    start = time.monotonic()
    r = ask(rec, "x.refloop.test.")
    assert r.rcode() == dns.rcode.SERVFAIL
    assert time.monotonic() - start < 1.0
    assert world.fakes["refloop"].count() <= 4


def test_dead_and_lame_servers_end_in_servfail(rec, world):
    base = rec.fresh_counters()
    start = time.monotonic()
    r = ask(rec, "x.dead.test.")
    assert r.rcode() == dns.rcode.SERVFAIL
    elapsed = time.monotonic() - start
    assert TIMEOUT_MS / 1000 * 0.9 < elapsed < 2.0
    assert ask(rec, "x.lame.test.").rcode() == dns.rcode.SERVFAIL
    rec.wait_deltas(base, {"resolver-rec-outgoing-timeouts": 1, "resolver-rec-servfails": 2},
                    exact=False)


def test_minimisation_falls_back_to_the_full_name_after_nxdomain(rec, world):
    r = ask(rec, "a.x.brokenent.test.")
    assert addresses(r) == ["192.0.2.19"]
    assert [q[0] for q in world.fakes["brokenent"].queries] == ["x.brokenent.test.",
                                                                "a.x.brokenent.test."]


def test_truncated_answer_is_asked_again_over_tcp(rec, world):
    r = ask(rec, "x.tc.test.")
    assert addresses(r) == ["192.0.2.15"]
    seen = world.fakes["tc"].matching("x.tc.test.")
    assert [q[2] for q in seen] == [False, True]


def test_formerr_to_edns_is_asked_again_without(rec, world):
    r = ask(rec, "x.formerr.test.")
    assert addresses(r) == ["192.0.2.16"]
    seen = world.fakes["formerr"].matching("x.formerr.test.")
    assert [q[3] for q in seen] == [True, False]


def test_instances_are_servers_and_pass_health_checks(rec):
    rows = rec.wait_servers(lambda rows: "rec@1" in rows and "rec@2" in rows, what="instances")
    for name in ("rec@1", "rec@2"):
        assert rows[name]["Address"] == "embedded"
        assert rows[name]["State"] == "up"


def test_second_instance_answers_from_the_cache_the_first_filled(world, start_ballast):
    b = start_ballast(lua=resolver_lua(world) + "setServerPolicy(roundrobin)\n")
    # Two ticks: the table printed after the first holds the readiness probe's queries.
    b.fresh_counters()
    b.fresh_counters()
    base = b.wait_servers(lambda rows: "rec@2" in rows, what="instances")
    fake = world.fakes["counted"]
    assert addresses(ask(b, "shared.counted.test.")) == ["192.0.2.10"]
    assert addresses(ask(b, "shared.counted.test.")) == ["192.0.2.10"]
    assert fake.count("shared.counted.test.") == 1

    def delta(rows, name):
        return rows[name]["Queries"] - base[name]["Queries"]

    rows = b.wait_servers(lambda rows: delta(rows, "rec@1") + delta(rows, "rec@2") == 2,
                          what="2 more queries")
    assert delta(rows, "rec@1") == 1 and delta(rows, "rec@2") == 1


def test_forward_zone_queries_go_to_the_forwarder_with_rd(world, start_ballast):
    fwd = world.prefix + "10"  # counted.test.'s server answers any name
    b = start_ballast(lua=resolver_lua(world, forwardZones={'["corp.example."]': [fwd]}))
    assert addresses(ask(b, "host.corp.example.")) == ["192.0.2.10"]
    seen = world.fakes["counted"].matching("host.corp.example.")
    assert len(seen) == 1 and seen[0][4]  # RD set


def test_over_capacity_queries_are_dropped_and_counted(world, start_ballast):
    b = start_ballast(lua=resolver_lua(world, instances=1, maxConcurrent=2))
    base = b.fresh_counters()
    host, port = b.listen[0]
    socks = []
    for i in range(6):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(dns.message.make_query(f"cap{i}.dead.test.", "A").to_wire(), (host, port))
        socks.append(s)
    answered = 0
    for s in socks:
        s.settimeout(2.0)
        try:
            s.recvfrom(65535)
            answered += 1
        except socket.timeout:
            pass
        s.close()
    assert answered <= 2
    # At least the four beyond the limit (a health check refused meanwhile would add one).
    snap = b.wait_counters(lambda c: c.get("resolver-rec-over-capacity", 0)
                           - base.get("resolver-rec-over-capacity", 0) >= 4,
                           what="over-capacity >= 4")
    assert snap is not None


def test_identical_questions_in_flight_share_one_outgoing_query(world, start_ballast):
    b = start_ballast(lua=resolver_lua(world, instances=1))
    base = b.fresh_counters()
    host, port = b.listen[0]
    socks = []
    for i in range(5):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(3.0)
        q = dns.message.make_query("same.slow.test.", "A")
        s.sendto(q.to_wire(), (host, port))
        socks.append((s, q))
    for s, q in socks:
        r = dns.message.from_wire(s.recvfrom(65535)[0])
        s.close()
        assert r.id == q.id and addresses(r) == ["192.0.2.18"]
    assert world.fakes["slow"].count("same.slow.test.") == 1
    b.wait_deltas(base, {"resolver-rec-shared-queries": 4}, exact=False)


@pytest.mark.parametrize("how", ["option", "function"])
def test_tracing_writes_one_line_per_query(world, start_ballast, how):
    if how == "option":
        b = start_ballast(lua=resolver_lua(world, tracing=True))
    else:
        b = start_ballast(lua=resolver_lua(world) + 'setResolverTracing(true, "rec")\n')
    name = f"traced-{how}.counted.test."
    assert addresses(ask(b, name)) == ["192.0.2.10"]
    deadline = time.monotonic() + 3
    line = None
    while time.monotonic() < deadline and line is None:
        line = harness.first_line_matching(b.stderr(), r"trace: .*received " + name)
        time.sleep(0.05)
    assert line is not None, b.stderr()[-2000:]
    assert "cache miss" in line and "query " in line and "answer NOERROR" in line
    assert "rtt=" in line and "ns " in line


@pytest.mark.parametrize("opts,error", [
    ("bogus=1", "unknown option 'bogus'"),
    ('rootHints={"not-an-address"}', "rootHints"),
    ("instances=0", "instances"),
    ('forwardZones={["corp."]={}}', "has no server"),
])
def test_bad_options_fail_start_up_with_file_and_line(tmp_path, opts, error):
    conf = tmp_path / "bad.conf"
    conf.write_text(f'setLocal("127.0.0.1:5399")\n\nnewResolver{{name="x", {opts}}}\n')
    res = harness.run_binary(["-C", str(conf), "--check-config"])
    assert res.returncode != 0
    assert f"{conf}:3:" in res.stderr and error in res.stderr, res.stderr


def test_show_resolvers_and_tracing_errors(world, start_ballast, tmp_path):
    b = start_ballast(lua=resolver_lua(world) + "showResolvers()\n")
    out = b.stdout()
    header = harness.first_line_matching(out, r"^Name\s+Inst\s+Entries\s+Hits")
    row = harness.first_line_matching(out, r"^rec\s+2\s+")
    assert header and row, out[-2000:]
    conf = tmp_path / "bad.conf"
    conf.write_text(resolver_lua(world) + 'setResolverTracing(true, "nope")\n')
    res = harness.run_binary(["-C", str(conf), "--check-config"])
    assert res.returncode != 0 and "no resolver named 'nope'" in res.stderr, res.stderr
