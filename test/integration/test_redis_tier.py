# SPDX-License-Identifier: GPL-2.0-only
"""The shared cache tier on Redis: several ballast processes share answers through a real
redis-server on loopback; a new process starts warm, stale answers come from Redis when
the pool is down, Redis going away loses no query, corrupt values are not served."""

import signal
import time

import dns.message
import pytest

from fakedns import a_addresses, make_query
from redisfix import Redis, ctr, resp, wait_for

FAST_CHECKS = {"checkInterval": 1, "checkTimeout": 300, "checkName": "hc.test."}


@pytest.fixture
def redis(tmp_path):
    r = Redis(tmp_path)
    r.start()
    yield r
    r.kill()


def tier_lua(redis, stale=0, extra=""):
    lines = [f'pc = newPacketCache(1000, {{redis="{redis.url}", redisTimeout=50}})',
             'getPool(""):setCache(pc)']
    if stale:
        lines.append(f"setStaleCacheEntriesTTL({stale})")
    return "\n".join(lines) + "\n" + extra


def test_a_new_node_answers_from_redis_without_asking_a_backend(start_ballast, backends,
                                                                client, redis):
    be = backends(ttl=300)
    a = start_ballast(servers=[be], lua=tier_lua(redis))
    c = client()
    first = c.ask(make_query("shared.test."), a.listen[0])
    assert a_addresses(first) == [be.host], a.diagnostics()
    assert be.count == 1
    wait_for(lambda: ctr(a, "redis-writes", 0) >= 1, what="the answer in Redis")

    b = start_ballast(servers=[be], lua=tier_lua(redis))
    base = b.fresh_counters()
    got = c.ask(make_query("SHARED.test.", qid=999), b.listen[0])
    assert got is not None, b.diagnostics()
    assert got.id == 999 and got.question[0].name.to_text() == "SHARED.test."
    assert a_addresses(got) == [be.host]
    assert be.count == 1, "node B asked the backend for a name node A had resolved"
    assert 0 < got.answer[0].ttl <= 300
    b.wait_deltas(base, {"redis-hits": 1}, exact=False)
    # Now in B's own cache: no second trip to Redis.
    again = c.ask(make_query("shared.test."), b.listen[0])
    assert a_addresses(again) == [be.host] and be.count == 1
    b.wait_deltas(base, {"redis-hits": 1, "cache-hits": 1}, exact=False)


def test_stale_from_redis_when_every_backend_is_down(start_ballast, backends, client, redis):
    be = backends(ttl=1)
    a = start_ballast(servers=[be], lua=tier_lua(redis, stale=60))
    c = client()
    assert a_addresses(c.ask(make_query("old.test."), a.listen[0])) == [be.host]
    wait_for(lambda: ctr(a, "redis-writes", 0) >= 1, what="the answer in Redis")

    dead = backends(mode="silent")
    b = start_ballast(servers=[dead], server_opts=[FAST_CHECKS],
                      lua=tier_lua(redis, stale=60, extra="setServFailWhenNoServer(true)\n"),
                      wait=False)
    b.wait_servers(lambda rows: rows["b1"]["State"] == "down", what="b1 down")
    time.sleep(1.1)  # the entry's TTL of 1 s is over
    base = b.fresh_counters()
    got = c.ask(make_query("old.test.", qid=5), b.listen[0])
    assert got is not None, b.diagnostics()
    assert got.rcode() == 0 and a_addresses(got) == [be.host], "no stale answer from Redis"
    b.wait_deltas(base, {"cache-stale-hits": 1}, exact=False)
    never = c.ask(make_query("never.test."), b.listen[0])
    assert never is not None and never.rcode() == 2  # SERVFAIL: nowhere to be found


def test_redis_killed_while_queries_flow_loses_nothing(start_ballast, backends, client, redis):
    be = backends(ttl=300)
    a = start_ballast(servers=[be], lua=tier_lua(redis))
    c = client()
    slow = []
    lost = []

    def ask_many(prefix, n):
        for i in range(n):
            t0 = time.monotonic()
            r = c.ask(make_query(f"{prefix}{i}.test."), a.listen[0], timeout=2.0)
            if r is None:
                lost.append(i)
            elif time.monotonic() - t0 > 0.5:
                slow.append(i)

    ask_many("before", 50)
    redis.kill()
    ask_many("during", 100)
    assert not lost, f"queries lost while Redis was away: {lost}"
    assert not slow, f"queries delayed past the budget: {slow}"
    wait_for(lambda: ctr(a, "redis-breaker-open", 0) == 1, what="the breaker open")
    # Not asked while Redis is away: counted as skipped.
    base = a.fresh_counters()
    ask_many("away", 10)
    assert not lost
    a.wait_deltas(base, {"redis-skipped": 10}, exact=False)
    redis.start()
    wait_for(lambda: ctr(a, "redis-breaker-open", 1) == 0, timeout=8,
             what="the tier back")
    base = a.fresh_counters()
    ask_many("after", 20)
    assert not lost
    a.wait_deltas(base, {"redis-misses": 20}, exact=False)
    wait_for(lambda: len(redis.keys()) >= 20, what="answers written again")


def test_a_stalled_redis_opens_the_breaker_and_skipped_lookups_are_counted(
        start_ballast, backends, client, redis):
    # Redis stopped (SIGSTOP): still connected, every lookup runs over its budget; after
    # three in a row the breaker opens and, while open, lookups are not asked (skipped).
    be = backends(ttl=300)
    a = start_ballast(servers=[be], lua=tier_lua(redis))
    c = client()
    assert a_addresses(c.ask(make_query("first.test."), a.listen[0])) == [be.host]
    base = a.fresh_counters()
    redis.proc.send_signal(signal.SIGSTOP)
    try:
        for i in range(10):
            t0 = time.monotonic()
            got = c.ask(make_query(f"stalled{i}.test."), a.listen[0], timeout=2.0)
            assert a_addresses(got) == [be.host], f"query {i} lost while Redis was stalled"
            assert time.monotonic() - t0 < 0.5, f"query {i} delayed past the budget"
        snap, d = a.wait_deltas(base, {"redis-timeouts": 3, "redis-skipped": 7}, exact=False)
        assert d["redis-timeouts"] == 3, f"the breaker did not open after 3 timeouts: {d}"
        assert snap.get("redis-breaker-open") == 1
    finally:
        redis.proc.send_signal(signal.SIGCONT)


def test_corrupt_values_in_redis_are_not_served(start_ballast, backends, client, redis):
    be = backends(ttl=300)
    a = start_ballast(servers=[be], lua=tier_lua(redis))
    c = client()
    assert a_addresses(c.ask(make_query("corrupt.test."), a.listen[0])) == [be.host]
    wait_for(lambda: len(redis.keys()) >= 1, what="the answer in Redis")
    for key in redis.keys():
        value = resp(redis.host, redis.port, "GET", key)
        damaged = value[:-1] + bytes([value[-1] ^ 0xff])
        resp(redis.host, redis.port, "SET", key, damaged)
    resp(redis.host, redis.port, "SET", "ballast:pc1:foreign", b"not ours")

    b = start_ballast(servers=[be], lua=tier_lua(redis))
    base = b.fresh_counters()
    got = c.ask(make_query("corrupt.test."), b.listen[0])
    assert a_addresses(got) == [be.host]
    assert be.count == 2, "a corrupt value was served instead of asking the backend"
    b.wait_deltas(base, {"redis-corrupt": 1}, exact=False)


def test_a_bad_redis_url_fails_start_up(start_ballast):
    b = start_ballast(lua='newPacketCache(10, {redis="http://127.0.0.1:1"})\n', wait=False)
    b.wait_exit()
    assert b.proc.returncode != 0
    assert "redis" in b.stderr() and "not a redis:// URL" in b.stderr() + b.stdout()


def test_a_query_waiting_for_redis_at_shutdown_is_answered(start_ballast, backends, client,
                                                           redis):
    # Redis stalled and a long budget: the query is parked in the tier when ballast is told
    # to stop; it goes on to the backend (still running) and is answered before the exit.
    be = backends(ttl=300)
    lua = ('pc = newPacketCache(1000, {redis="' + redis.url + '", redisTimeout=3000})\n'
           'getPool(""):setCache(pc)\n')
    a = start_ballast(servers=[be], lua=lua)
    c = client()
    assert a_addresses(c.ask(make_query("first.test."), a.listen[0])) == [be.host]
    redis.proc.send_signal(signal.SIGSTOP)
    try:
        c.send(make_query("late.test.", qid=4242), a.listen[0])
        time.sleep(0.3)  # parked: Redis does not answer, the budget is 3 s
        assert be.count == 1
        t0 = time.monotonic()
        a.proc.send_signal(signal.SIGTERM)
        got = c.recv(timeout=2.5)
        assert got is not None, "the parked query was lost at shutdown"
        reply = dns.message.from_wire(got[0])
        assert reply.id == 4242 and a_addresses(reply) == [be.host]
        assert time.monotonic() - t0 < 2.0, "answered only when its budget ran out"
        assert a.wait_exit() == 0
    finally:
        redis.proc.send_signal(signal.SIGCONT)
