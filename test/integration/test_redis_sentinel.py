# SPDX-License-Identifier: GPL-2.0-only
"""The shared cache tier behind Redis Sentinel (redis-sentinel://): a real master, a
replica and a sentinel on loopback with short failure timeouts. The tier asks the sentinel
where the master is; when the master dies and the sentinel promotes the replica, the tier
follows it, losing no query meanwhile; a master turned into a replica under the tier
(-READONLY) sends it back to the sentinel."""

import signal
import time

import pytest

from fakedns import a_addresses, make_query
from redisfix import Redis, Sentinel, ctr, resp, wait_for


def replication_up(master, replica):
    info = replica.command("INFO", "replication").decode()
    return "master_link_status:up" in info


@pytest.fixture
def replicated(tmp_path):
    master = Redis(tmp_path)
    master.start()
    replica = Redis(tmp_path)
    replica.extra = ["--replicaof", master.host, str(master.port),
                     "--replica-announce-ip", replica.host]
    replica.start()
    wait_for(lambda: replication_up(master, replica), timeout=10, what="the replica in sync")
    sentinel = Sentinel(tmp_path, master, down_ms=500, failover_ms=2000)
    sentinel.start()
    wait_for(lambda: resp(sentinel.host, sentinel.port, "SENTINEL", "replicas", sentinel.name),
             timeout=15, what="the sentinel knowing the replica")
    yield master, replica, sentinel
    for p in (sentinel, replica, master):
        p.kill()


def sentinel_lua(sentinel):
    url = f"redis-sentinel://{sentinel.host}:{sentinel.port}/{sentinel.name}/0"
    return (f'pc = newPacketCache(1000, {{redis="{url}", redisTimeout=50}})\n'
            'getPool(""):setCache(pc)\n')


def test_the_tier_follows_a_failover(start_ballast, backends, client, replicated):
    master, replica, sentinel = replicated
    be = backends(ttl=300)
    a = start_ballast(servers=[be], lua=sentinel_lua(sentinel))
    c = client()
    wait_for(lambda: ctr(a, "redis-breaker-open", 1) == 0, what="the tier connected")
    assert a_addresses(c.ask(make_query("before.test."), a.listen[0])) == [be.host]
    wait_for(lambda: ctr(a, "redis-writes") >= 1, what="the answer in the master")
    wait_for(lambda: sorted(replica.keys()) == sorted(master.keys()), what="the answer replicated")

    master.kill()
    lost, slow = [], []
    deadline = time.monotonic() + 20
    i = 0
    # Queries keep flowing through the failover; the tier is back on the promoted replica.
    while sentinel.master() != (replica.host, replica.port) or ctr(a, "redis-breaker-open", 1):
        assert time.monotonic() < deadline, "no failover followed within 20 s"
        t0 = time.monotonic()
        got = c.ask(make_query(f"during{i}.test."), a.listen[0], timeout=2.0)
        if got is None:
            lost.append(i)
        elif time.monotonic() - t0 > 0.5:
            slow.append(i)
        i += 1
        time.sleep(0.05)
    assert not lost and not slow, f"lost {lost}, slow {slow}"

    written = ctr(a, "redis-writes")
    assert a_addresses(c.ask(make_query("after.test."), a.listen[0])) == [be.host]
    wait_for(lambda: ctr(a, "redis-writes") > written, what="a write to the new master")
    # A node started now finds, through the sentinel, what the first node wrote before
    # the failover (replicated) and after it.
    b = start_ballast(servers=[be], lua=sentinel_lua(sentinel))
    base = b.fresh_counters()
    wait_for(lambda: ctr(b, "redis-breaker-open", 1) == 0, what="node B connected")
    asked = be.count
    for name in ("before.test.", "after.test."):
        assert a_addresses(c.ask(make_query(name), b.listen[0])) == [be.host]
    assert be.count == asked, "node B asked the backend for names in Redis"
    b.wait_deltas(base, {"redis-hits": 2}, exact=False)


def test_a_primary_turned_replica_sends_the_tier_back_to_the_sentinel(
        start_ballast, backends, client, replicated):
    master, replica, sentinel = replicated
    be = backends(ttl=300)
    a = start_ballast(servers=[be], lua=sentinel_lua(sentinel))
    c = client()
    wait_for(lambda: ctr(a, "redis-breaker-open", 1) == 0, what="the tier connected")
    assert a_addresses(c.ask(make_query("one.test."), a.listen[0])) == [be.host]
    wait_for(lambda: ctr(a, "redis-writes") >= 1, what="the first write")
    # Demoted behind the sentinel's back: still connected, but writes get -READONLY.
    master.command("REPLICAOF", replica.host, str(replica.port))
    assert a_addresses(c.ask(make_query("two.test."), a.listen[0])) == [be.host]
    wait_for(lambda: "became a replica" in a.stdout() + a.stderr(), what="READONLY noticed")
    # It asks the sentinel again, which still names that server; the server says it is
    # not the primary, so the tier stays out of use rather than write to a replica...
    wait_for(lambda: "is not the primary" in a.stdout() + a.stderr(), what="ROLE checked")
    wait_for(lambda: ctr(a, "redis-breaker-open") == 1, what="the tier out of use")
    # ...until it is the primary again.
    master.command("REPLICAOF", "NO", "ONE")
    wait_for(lambda: ctr(a, "redis-breaker-open", 1) == 0, what="the tier back in use")
    written = ctr(a, "redis-writes")
    assert a_addresses(c.ask(make_query("three.test."), a.listen[0])) == [be.host]
    wait_for(lambda: ctr(a, "redis-writes") > written, what="a write to the primary")


def test_a_sentinel_that_does_not_answer_is_passed_over(start_ballast, backends, client,
                                                        replicated, tmp_path):
    master, replica, sentinel = replicated
    stalled = Sentinel(tmp_path, master)
    stalled.start()
    stalled.proc.send_signal(signal.SIGSTOP)  # connections accepted, never answered
    try:
        url = (f"redis-sentinel://{stalled.host}:{stalled.port},"
               f"{sentinel.host}:{sentinel.port}/{sentinel.name}")
        be = backends(ttl=300)
        a = start_ballast(servers=[be], lua=(f'pc = newPacketCache(1000, {{redis="{url}"}})\n'
                                             'getPool(""):setCache(pc)\n'))
        wait_for(lambda: ctr(a, "redis-breaker-open", 1) == 0, timeout=8,
                 what="the tier connected through the second sentinel")
        assert ctr(a, "redis-connect-failures") >= 1
        log = a.stdout() + a.stderr()
        assert f"{stalled.host}:{stalled.port} did not answer" in log, log
    finally:
        stalled.proc.send_signal(signal.SIGCONT)
        stalled.kill()
