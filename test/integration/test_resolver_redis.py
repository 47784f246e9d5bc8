# SPDX-License-Identifier: GPL-2.0-only
"""The embedded resolver's record cache behind the shared Redis tier
(newResolver{cache={redis=...}}): a node started later answers what another resolved with
no query upstream; Redis killed while queries flow delays nothing past the budget and the
breaker shows it; Redis back is used again; a corrupt value is counted and not served."""

import time

import pytest

import harness
from redisfix import Redis, ctr, wait_for
from resolver_world import World
from test_resolver import addresses, ask

TIMEOUT_MS = 300
BUDGET_MS = 50


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(tmp_path_factory.mktemp("world"))
    yield w
    w.stop()


@pytest.fixture
def redis(tmp_path):
    r = Redis(tmp_path)
    r.start()
    yield r
    r.kill()


def node_lua(world, redis, **opts):
    table = {"name": "rec", "instances": 2, "rootHints": [world.root],
             "outgoingTimeout": TIMEOUT_MS, "dnssec": "off",
             "cache": {"redis": redis.url, "redisTimeout": BUDGET_MS}}
    table.update(opts)
    return f"newResolver({harness.lua_value(table)})\n"


def connected(b):
    """Waits for the tier's connection (made after start-up: writes before it are dropped)."""
    wait_for(lambda: ctr(b, "redis-breaker-open", 1) == 0, timeout=8, what="the tier connected")
    return b


def settled(b):
    """Counters after the start-up's priming and readiness probes have been counted."""
    b.fresh_counters()
    return b.fresh_counters()


def test_a_node_started_later_answers_without_asking_any_authority(world, start_ballast, redis):
    fake = world.fakes["counted"]
    a = connected(start_ballast(lua=node_lua(world, redis)))
    assert addresses(ask(a, "shared.counted.test.")) == ["192.0.2.10"]
    assert fake.count("shared.counted.test.") == 1
    wait_for(lambda: redis.command("GET", "ballast:rc1:p:shared.counted.test.:1:1") is not None,
             what="the RRset in Redis")

    b = connected(start_ballast(lua=node_lua(world, redis)))
    base = settled(b)
    got = ask(b, "SHARED.counted.test.")
    assert addresses(got) == ["192.0.2.10"], b.diagnostics()
    assert 0 < got.answer[0].ttl <= 3600
    assert fake.count("shared.counted.test.") == 1, "node B asked the authority again"
    b.wait_deltas(base, {"resolver-rec-redis-hits": 1, "resolver-rec-outgoing-queries": 0,
                         "resolver-rec-cache-hits": 1})
    # Now in B's own record cache: no second trip to Redis.
    assert addresses(ask(b, "shared.counted.test.")) == ["192.0.2.10"]
    b.wait_deltas(base, {"resolver-rec-redis-hits": 1, "resolver-rec-outgoing-queries": 0,
                         "resolver-rec-cache-hits": 2})
    # Negative entries are shared too.
    assert ask(a, "nxshared.counted.test.").rcode() == 3
    wait_for(lambda: redis.command("GET", "ballast:rc1:p:nxshared.counted.test.:0:1")
             is not None, what="the NXDOMAIN in Redis")
    assert ask(b, "nxshared.counted.test.").rcode() == 3
    assert fake.count("nxshared.counted.test.") == 1
    # A resolver with dnssec="validate" keeps apart: its keys are not these.
    assert redis.command("GET", "ballast:rc1:s:shared.counted.test.:1:1") is None


def test_redis_killed_while_queries_flow_then_back(world, start_ballast, redis):
    a = connected(start_ballast(lua=node_lua(world, redis)))
    base = settled(a)
    for i in range(5):
        assert addresses(ask(a, f"before{i}.counted.test.")) == ["192.0.2.10"]
    a.wait_deltas(base, {"resolver-rec-redis-misses": 5}, exact=False)

    redis.kill()
    slowest = 0.0
    for i in range(40):
        t0 = time.monotonic()
        r = ask(a, f"during{i}.counted.test.", timeout=2.0)
        slowest = max(slowest, time.monotonic() - t0)
        assert addresses(r) == ["192.0.2.10"], f"query {i} lost while Redis was down"
    # Each is a miss that iterates (3 queries on loopback); Redis adds at most its budget.
    assert slowest < 1.0, f"a query took {slowest:.3f} s with Redis down"
    snap = a.wait_counters(lambda c: c.get("redis-breaker-open", 0) >= 1
                           and c.get("resolver-rec-redis-skipped", 0)
                           - base.get("resolver-rec-redis-skipped", 0) >= 1,
                           what="the breaker open and lookups skipped")
    assert snap["resolver-rec-redis-hits"] == base["resolver-rec-redis-hits"]

    redis.start()  # same address and port, empty
    wait_for(lambda: ctr(a, "redis-breaker-open", 1) == 0, timeout=8,
             what="the tier connected again")
    before = a.fresh_counters()
    assert addresses(ask(a, "after.counted.test.")) == ["192.0.2.10"]
    a.wait_deltas(before, {"resolver-rec-redis-misses": 1}, exact=False)
    wait_for(lambda: redis.command("GET", "ballast:rc1:p:after.counted.test.:1:1") is not None,
             what="writes going to Redis again")


def test_a_corrupt_value_is_counted_and_not_served(world, start_ballast, redis):
    fake = world.fakes["counted"]
    key = "ballast:rc1:p:corrupt.counted.test.:1:1"
    b = connected(start_ballast(lua=node_lua(world, redis)))
    base = settled(b)
    redis.command("SET", key, b"BLRC\x01" + b"\x00" * 40)
    r = ask(b, "corrupt.counted.test.")
    assert addresses(r) == ["192.0.2.10"], b.diagnostics()
    assert fake.count("corrupt.counted.test.") == 1, "the corrupt value was served"
    b.wait_deltas(base, {"resolver-rec-redis-corrupt": 1, "resolver-rec-redis-hits": 0},
                  exact=False)
    snap = b.fresh_counters()
    assert snap["redis-corrupt"] >= 1
    assert snap["resolver-rec-redis-hits"] == base["resolver-rec-redis-hits"]


@pytest.mark.parametrize("opts,error", [
    ('cache={redis="redis-cluster://127.0.0.1:7000"}', "cluster"),
    ('cache={redis="redis://127.0.0.1:6379", colour="red"}', "colour"),
    ('cache={redis="redis://127.0.0.1:6379", redisTimeout=0}', "redisTimeout"),
])
def test_bad_cache_options_fail_start_up_with_file_and_line(tmp_path, opts, error):
    conf = tmp_path / "bad.conf"
    conf.write_text(f'setLocal("127.0.0.1:5399")\n\nnewResolver{{name="x", {opts}}}\n')
    res = harness.run_binary(["-C", str(conf), "--check-config"])
    assert res.returncode != 0
    assert f"{conf}:3:" in res.stderr and error in res.stderr, res.stderr


def test_show_resolvers_shows_the_shared_tier(world, start_ballast, redis):
    b = start_ballast(lua=node_lua(world, redis) + "showResolvers()\n")
    line = harness.first_line_matching(b.stdout(), r"^rec: shared cache Redis")
    assert line and "breaker" in line and "hits 0" in line, b.stdout()[-2000:]
