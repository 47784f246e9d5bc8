# SPDX-License-Identifier: GPL-2.0-only
"""The packet cache: hits with the client's ID and case, aging, negative caching,
stale answers when every backend is down or the chosen one fails, expunge."""

import time

import dns.flags
import dns.rcode

import harness
from fakedns import a_addresses, make_query

FAST_CHECKS = {"checkInterval": 1, "checkTimeout": 300, "checkName": "hc.test."}


def cache_lua(stale_window=0, options="", extra=""):
    lines = [f"pc = newPacketCache(1000{', ' + options if options else ''})",
             'getPool(""):setCache(pc)']
    if stale_window:
        lines.append(f"setStaleCacheEntriesTTL({stale_window})")
    return "\n".join(lines) + "\n" + extra


def ttl_of(msg):
    return min(rrset.ttl for rrset in msg.answer + msg.authority)


def test_hit_has_client_id_and_case_and_skips_the_backend(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be], lua=cache_lua())
    base = b.fresh_counters()
    c = client()
    first = c.ask(make_query("cached.test.", qid=100), b.listen[0])
    assert first is not None and a_addresses(first) == [be.host], b.diagnostics()
    second = c.ask(make_query("CaChEd.TeSt.", qid=4321), b.listen[0])
    assert second is not None, b.diagnostics()
    assert second.id == 4321
    assert second.question[0].name.to_text() == "CaChEd.TeSt.", "client's letter case lost"
    assert a_addresses(second) == [be.host]
    assert be.count == 1, f"the backend was asked {be.count} times for a cached name"
    b.wait_deltas(base, {"cache-hits": 1, "cache-misses": 1, "queries": 2})
    # The harness's readiness probes (one or more, on a slow start) were misses too, and
    # their name is cached.
    hits, misses, entries = b.run_lua(
        "local s = pc:getStats() return s.hits .. ' ' .. s.misses .. ' ' .. s.entries").split()
    assert (hits, entries) == ("1", "2") and int(misses) >= 2, (hits, misses, entries)


def test_ttl_ages_and_entries_expire(start_ballast, backends, client):
    be = backends(ttl=3)
    b = start_ballast(servers=[be], lua=cache_lua())
    c = client()
    assert ttl_of(c.ask(make_query("aging.test."), b.listen[0])) == 3
    time.sleep(1.2)
    aged = c.ask(make_query("aging.test."), b.listen[0])
    assert be.count == 1
    assert ttl_of(aged) in (1, 2), f"TTL {ttl_of(aged)} after 1.2 s in the cache"
    time.sleep(2.0)
    assert c.ask(make_query("aging.test."), b.listen[0]) is not None
    assert be.count == 2, "an expired entry was served"


def test_negative_answers_cached_from_the_soa(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be], lua=cache_lua())
    c = client()
    for i in range(3):
        r = c.ask(make_query("nxdomain-soa.test."), b.listen[0])
        assert r is not None and r.rcode() == dns.rcode.NXDOMAIN
        # From the cache, the SOA's TTL is the negative TTL: min(TTL 300, minimum 30).
        assert ttl_of(r) == (300 if i == 0 else 30)
    nodata = [c.ask(make_query("nodata-soa.test.", "AAAA"), b.listen[0]) for _ in range(3)]
    assert all(r is not None and r.rcode() == dns.rcode.NOERROR and not r.answer for r in nodata)
    assert be.count == 2, "negative answers were not served from the cache"
    # Without an SOA there is no negative TTL: each query goes to the backend.
    for _ in range(2):
        c.ask(make_query("nxdomain-nosoa.test."), b.listen[0])
    assert be.count == 4


def test_key_separates_do_bit_and_qtype(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be], lua=cache_lua())
    c = client()
    c.ask(make_query("key.test.", payload=1232), b.listen[0])
    c.ask(make_query("key.test.", payload=1232, want_dnssec=True), b.listen[0])
    c.ask(make_query("key.test.", "AAAA", payload=1232), b.listen[0])
    c.ask(make_query("key.test."), b.listen[0])  # no EDNS
    assert be.count == 4
    c.ask(make_query("key.test.", payload=1232, want_dnssec=True), b.listen[0])
    assert be.count == 4


def test_pool_down_serves_stale_until_the_window_ends(start_ballast, backends, client):
    be = backends(ttl=1)
    b = start_ballast(servers=[be], server_opts=[FAST_CHECKS],
                      lua=cache_lua(5, "{staleTTL=7}", "setServFailWhenNoServer(true)\n"))
    c = client()
    assert a_addresses(c.ask(make_query("stale.test."), b.listen[0])) == [be.host]
    be.mode = "silent"  # its health checks (hc.test.) now fail
    # Marked down after at least a second: the entry's TTL of 1 s is over by then.
    b.wait_servers(lambda rows: rows["b1"]["State"] == "down", what="b1 down")
    base = b.fresh_counters()
    r = c.ask(make_query("stale.test.", qid=77), b.listen[0])
    assert r is not None and r.id == 77, b.diagnostics()
    assert a_addresses(r) == [be.host] and ttl_of(r) == 7, r
    unknown = c.ask(make_query("never-seen.test."), b.listen[0])
    assert unknown.rcode() == dns.rcode.SERVFAIL
    b.wait_deltas(base, {"cache-stale-hits": 1})
    # One second TTL plus a five second window: after that, SERVFAIL.
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        r = c.ask(make_query("stale.test."), b.listen[0])
        if r.rcode() == dns.rcode.SERVFAIL:
            break
        time.sleep(0.25)
    assert r.rcode() == dns.rcode.SERVFAIL, "stale entry served past setStaleCacheEntriesTTL"


def test_backend_failing_while_up_gets_stale_answers(start_ballast, backends, client):
    be = backends(ttl=1)
    b = start_ballast(servers=[be],
                      lua=cache_lua(600, "{staleTTL=9}", "setUDPTimeout(1)\n"))
    c = client()
    assert a_addresses(c.ask(make_query("flaky.test."), b.listen[0])) == [be.host]
    assert a_addresses(c.ask(make_query("broken.test."), b.listen[0])) == [be.host]
    time.sleep(1.1)
    base = b.fresh_counters()

    be.mode = "silent"  # still up: its health checks are out of the zone
    start = time.monotonic()
    r = c.ask(make_query("flaky.test.", qid=5), b.listen[0], timeout=3.0)
    waited = time.monotonic() - start
    assert r is not None, f"no stale answer after a timeout{b.diagnostics()}"
    assert r.id == 5 and a_addresses(r) == [be.host] and ttl_of(r) == 9
    assert 0.9 <= waited < 1.6, f"stale answer after {waited:.2f}s with setUDPTimeout(1)"

    be.mode = "servfail"
    r = c.ask(make_query("broken.test."), b.listen[0])
    assert r.rcode() == dns.rcode.NOERROR and a_addresses(r) == [be.host], r
    b.wait_deltas(base, {"cache-stale-hits": 2, "downstream-timeouts": 1})
    assert b.servers()["b1"]["State"] == "up"

    # Switched off, the failure reaches the client.
    b.run_lua("setServeStaleOnBackendFailure(false) return 1")
    r = c.ask(make_query("broken.test."), b.listen[0])
    assert r.rcode() == dns.rcode.SERVFAIL


def test_expunge_and_expunge_by_name(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be], lua=cache_lua())
    c = client()
    b.run_lua("return pc:expunge(0)")  # the readiness probe's entry
    for name in ("a-soa.sub.test.", "b-soa.sub.test.", "other-soa.test."):
        c.ask(make_query(name), b.listen[0])
        c.ask(make_query(name, "AAAA"), b.listen[0])  # NODATA with an SOA
    assert b.run_lua("return pc:getStats().entries") == "6"
    assert b.run_lua('return pc:expungeByName("a-soa.sub.test.", "A")') == "1"
    assert b.run_lua('return pc:expungeByName("sub.test.", 255, true)') == "3"
    assert b.run_lua("return pc:getStats().entries") == "2"
    before = be.count
    c.ask(make_query("a-soa.sub.test."), b.listen[0])
    c.ask(make_query("other-soa.test."), b.listen[0])
    assert be.count == before + 1, "expunged name served from the cache, or kept name not"
    dump = b.workdir / "cache.dump"
    b.run_lua(f'pc:dump("{dump}") return 1')
    assert "other-soa.test." in dump.read_text()
    assert b.run_lua("return pc:expunge(0)") == "3"
    assert b.run_lua("return tostring(pc)") == "0/1000"
    assert b.run_lua("return pc:isFull()") == "false"


def test_bad_cache_options_fail_start(start_ballast, backends):
    be = backends()
    for lua, message in (("newPacketCache(0)", "maximum number of entries"),
                         ("newPacketCache(10, {maxTTLs=1})", "unknown option 'maxTTLs'"),
                         ("newPacketCache(10, {minTTL=100, maxTTL=10})", "minTTL")):
        b = start_ballast(servers=[be], lua=lua + "\n", wait=False)
        assert b.wait_exit() != 0
        assert message in b.stderr() and "ballast.conf" in b.stderr(), b.stderr()


def test_show_pools_lists_the_cache(start_ballast, backends):
    be = backends()
    b = start_ballast(servers=[be], lua=cache_lua())
    out = b.run_lua('return pc:toString() .. " " .. tostring(getPool(""):getCache() ~= nil)')
    entries, _, rest = out.partition("/")
    assert entries.isdigit() and rest == "1000 true", out


def test_rules_skip_the_cache_and_see_cache_hits(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be], lua=cache_lua(extra=(
        'addAction(QNameRule("nocache.test."), SetSkipCacheAction())\n'
        'addCacheHitResponseAction(QNameRule("hitdrop.test."), DropResponseAction())\n')))
    c = client()
    for _ in range(2):
        assert c.ask(make_query("nocache.test."), b.listen[0]) is not None
    assert be.count == 2, "SetSkipCacheAction did not keep the query away from the cache"
    assert c.ask(make_query("hitdrop.test."), b.listen[0]) is not None  # a miss: answered
    assert c.ask(make_query("hitdrop.test."), b.listen[0], timeout=0.5) is None, \
        "the cache-hit response rule did not drop the hit"
    assert be.count == 3
