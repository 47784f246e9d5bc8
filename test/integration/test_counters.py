# SPDX-License-Identifier: GPL-2.0-only
"""getStatisticsCounters(): the dnsdist counters move as queries flow."""

import dns.flags
import dns.rcode
import harness
from fakedns import make_query

DNSDIST_NAMES = [
    "queries", "responses", "rdqueries", "servfail-responses", "frontend-noerror",
    "frontend-nxdomain", "frontend-servfail", "downstream-timeouts", "acl-drops",
    "empty-queries", "noncompliant-queries", "noncompliant-responses",
    "latency0-1", "latency1-10", "latency10-50", "latency50-100", "latency100-1000",
    "latency-slow", "latency-avg100", "latency-avg1000", "latency-avg10000",
    "latency-avg1000000",
]
LATENCY_BUCKETS = ["latency0-1", "latency1-10", "latency10-50", "latency50-100",
                   "latency100-1000", "latency-slow"]


def test_counter_names_present(start_ballast, backends):
    b = start_ballast(servers=[backends()])
    snap = b.fresh_counters()
    missing = [n for n in DNSDIST_NAMES if n not in snap]
    assert not missing, f"getStatisticsCounters() lacks {missing}"
    for name in DNSDIST_NAMES:
        assert isinstance(snap[name], (int, float)), f"{name} = {snap[name]!r} is not a number"


def test_query_response_counters(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be])
    base = b.fresh_counters()
    c = client()
    for i in range(5):
        assert c.ask(make_query(f"rd-{i}.test.", qid=i, rd=True), b.listen[0]) is not None
    for i in range(3):
        assert c.ask(make_query(f"nord-{i}.test.", qid=10 + i, rd=False), b.listen[0]) is not None
    b.wait_deltas(base, {"queries": 8, "responses": 8, "rdqueries": 5, "frontend-noerror": 8,
                         "frontend-nxdomain": 0, "frontend-servfail": 0,
                         "servfail-responses": 0, "downstream-timeouts": 0})


def test_nxdomain_and_servfail_counters(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be])
    base = b.fresh_counters()
    c = client()
    for i in range(4):
        r = c.ask(make_query(f"nxdomain-{i}.test.", qid=i), b.listen[0])
        assert r is not None and r.rcode() == dns.rcode.NXDOMAIN
    for i in range(2):
        r = c.ask(make_query(f"servfail-{i}.test.", qid=20 + i), b.listen[0])
        assert r is not None and r.rcode() == dns.rcode.SERVFAIL
    r = c.ask(make_query("fine.test.", qid=30), b.listen[0])
    assert r is not None and r.rcode() == dns.rcode.NOERROR
    b.wait_deltas(base, {"queries": 7, "responses": 7, "frontend-nxdomain": 4,
                         "frontend-servfail": 2, "servfail-responses": 2,
                         "frontend-noerror": 1})


def test_latency_buckets(start_ballast, backends, client):
    """Backend answers after 0, 20, 70 and 200 ms land in their dnsdist buckets."""
    be = backends()
    b = start_ballast(servers=[be])
    base = b.fresh_counters()
    c = client()
    plan = [("fast", 3), ("delay-20", 3), ("delay-70", 3), ("delay-200", 2)]
    qid = 0
    for prefix, count in plan:
        for i in range(count):
            qid += 1
            r = c.ask(make_query(f"{prefix}-{i}.test.", qid=qid), b.listen[0], timeout=3.0)
            assert r is not None, f"no answer to {prefix}-{i}.test."
    snap, d = b.wait_deltas(base, {"latency10-50": 3, "latency50-100": 3,
                                   "latency100-1000": 2, "responses": 11})
    fast = (snap["latency0-1"] - base["latency0-1"]) + (snap["latency1-10"] - base["latency1-10"])
    assert fast == 3, f"fast answers: {fast} in latency0-1 + latency1-10, expected 3"
    assert snap["latency-slow"] == base["latency-slow"]
    total = sum(snap[k] - base[k] for k in LATENCY_BUCKETS)
    assert total == 11, f"the latency buckets moved by {total} for 11 responses"
    assert snap["latency-avg100"] > 0, "latency-avg100 did not move"
    assert snap["latency-avg1000000"] > 0, "latency-avg1000000 did not move"


def test_servfail_when_no_server_configured(start_ballast, client):
    b = start_ballast(lua="setServFailWhenNoServer(true)\n")
    base = b.fresh_counters()
    q = make_query("no-server.test.", qid=0x7777)
    r = client().ask(q, b.listen[0], timeout=2.0)
    assert r is not None, "setServFailWhenNoServer(true) but no answer without a server"
    assert r.id == 0x7777
    assert r.flags & dns.flags.QR
    assert r.rcode() == dns.rcode.SERVFAIL
    assert r.question[0].name.to_text() == "no-server.test."
    b.wait_deltas(base, {"frontend-servfail": 1}, exact=False)


def test_servfail_when_only_other_pool_has_servers(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be], server_opts=[{"pool": "elsewhere"}],
                      lua="setServFailWhenNoServer(true)\n")
    r = client().ask(make_query("empty-pool.test.", qid=0x7878), b.listen[0], timeout=2.0)
    assert r is not None and r.rcode() == dns.rcode.SERVFAIL
    assert be.count == 0


def test_servfail_when_backend_down(start_ballast, client, new_addr):
    """A backend nobody listens on fails its health checks; then clients get SERVFAIL."""
    host = new_addr()
    port = harness.free_port(host)
    b = start_ballast(lua=f'newServer{{address="{host}:{port}", name="nobody"}}\n'
                          "setServFailWhenNoServer(true)\nsetUDPTimeout(1)\n")
    b.wait_servers(lambda rows: rows["nobody"]["State"].lower() == "down", timeout=6.0,
                   what="the unreachable backend marked down")
    r = client().ask(make_query("backend-down.test.", qid=0x7979), b.listen[0], timeout=2.0)
    assert r is not None, "backend down, setServFailWhenNoServer(true), but no answer"
    assert r.rcode() == dns.rcode.SERVFAIL
