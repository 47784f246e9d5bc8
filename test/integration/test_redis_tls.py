# SPDX-License-Identifier: GPL-2.0-only
"""The shared cache tier over TLS (rediss://) to a real redis-server serving TLS only, with
a CA, server and client certificates made by openssl at test time, and a Redis 6 ACL user:
answers are shared over TLS; a server the CA does not vouch for, a name that is not the
certificate's, or a refused AUTH leaves the tier unused and counted, never a query lost."""

import harness
import pytest

from fakedns import a_addresses, make_query
from redisfix import Certs, Redis, Sentinel, ctr, wait_for

ACL = ["--user", "default", "off", "--user", "cacheuser", "on", ">s3cret", "~ballast:*",
       "+@all"]


@pytest.fixture
def tls_redis(tmp_path):
    host = harness.ADDRESSES.next()
    certs = Certs(tmp_path, host)
    r = Redis(tmp_path, certs=certs, extra=ACL, auth=("cacheuser", "s3cret"), host=host)
    r.start()
    yield r
    r.kill()


def tls_lua(redis, user="cacheuser", password="s3cret", ca=None, name=None, cert=True):
    certs = redis.certs
    opts = [f'redis="rediss://{user}:{password}@{redis.host}:{redis.port}/0"', "redisTimeout=50",
            f'redisTLSCA="{ca or certs.ca}"']
    if cert:
        opts += [f'redisTLSCert="{certs.client_cert}"', f'redisTLSKey="{certs.client_key}"']
    if name:
        opts.append(f'redisTLSServerName="{name}"')
    return (f"pc = newPacketCache(1000, {{{', '.join(opts)}}})\n"
            'getPool(""):setCache(pc)\n')


def test_nodes_share_answers_over_tls_with_an_acl_user(start_ballast, backends, client,
                                                       tls_redis):
    be = backends(ttl=300)
    a = start_ballast(servers=[be], lua=tls_lua(tls_redis, name="redis.test"))
    c = client()
    assert a_addresses(c.ask(make_query("tls.test."), a.listen[0])) == [be.host]
    wait_for(lambda: ctr(a, "redis-writes") >= 1, what="the answer written over TLS")
    assert len(tls_redis.keys()) >= 1

    b = start_ballast(servers=[be], lua=tls_lua(tls_redis))
    base = b.fresh_counters()
    got = c.ask(make_query("tls.test.", qid=77), b.listen[0])
    assert got is not None and got.id == 77 and a_addresses(got) == [be.host], b.diagnostics()
    assert be.count == 1, "node B asked the backend for a name in Redis"
    b.wait_deltas(base, {"redis-hits": 1}, exact=False)
    assert ctr(b, "redis-connect-failures") == 0


@pytest.mark.parametrize("case,expect", [
    ("other-ca", "certificate verify failed"),
    ("wrong-name", "certificate verify failed"),
    ("bad-password", "AUTH"),
    ("no-client-cert", "TLS"),
])
def test_a_server_not_trusted_or_refusing_us_is_not_used(start_ballast, backends, client,
                                                         tls_redis, case, expect):
    lua = {
        "other-ca": lambda: tls_lua(tls_redis, ca=tls_redis.certs.other_ca),
        "wrong-name": lambda: tls_lua(tls_redis, name="wrong.test"),
        "bad-password": lambda: tls_lua(tls_redis, password="nope"),
        "no-client-cert": lambda: tls_lua(tls_redis, cert=False),
    }[case]()
    be = backends(ttl=300)
    a = start_ballast(servers=[be], lua=lua)
    c = client()
    wait_for(lambda: ctr(a, "redis-connect-failures") >= 2, what="failed connections counted")
    for i in range(5):
        got = c.ask(make_query(f"n{i}.test."), a.listen[0], timeout=2.0)
        assert a_addresses(got) == [be.host], f"query {i} not answered"
    snap = a.counters()
    assert snap.get("redis-breaker-open") == 1
    assert snap.get("redis-hits") == 0 and snap.get("redis-writes") == 0
    assert tls_redis.keys() == []
    log = a.stdout() + a.stderr()
    assert expect in log, log
    # Said once, not at every retry.
    assert log.count("shared cache tier:") <= 3, log


def test_unusable_tls_files_fail_start_up(start_ballast, tmp_path):
    lua = ('newPacketCache(10, {redis="rediss://127.0.0.1:6379", '
           f'redisTLSCA="{tmp_path}/missing.pem"}})\n')
    b = start_ballast(lua=lua, wait=False)
    b.wait_exit()
    assert b.proc.returncode != 0
    out = b.stderr() + b.stdout()
    assert "newPacketCache: redis: CA file" in out and "missing.pem" in out, out


def test_sentinel_and_primary_over_tls(start_ballast, backends, client, tls_redis, tmp_path):
    # rediss-sentinel://: the sentinel is asked over TLS, then the primary it names; both
    # certificates are checked against redisTLSServerName (the test certificate's name).
    sentinel = Sentinel(tmp_path, tls_redis)
    sentinel.start()
    try:
        url = (f"rediss-sentinel://cacheuser:s3cret@{sentinel.host}:{sentinel.port}/"
               f"{sentinel.name}/0")
        certs = tls_redis.certs
        lua = (f'pc = newPacketCache(1000, {{redis="{url}", redisTimeout=50, '
               f'redisTLSCA="{certs.ca}", redisTLSCert="{certs.client_cert}", '
               f'redisTLSKey="{certs.client_key}", redisTLSServerName="redis.test"}})\n'
               'getPool(""):setCache(pc)\n')
        be = backends(ttl=300)
        a = start_ballast(servers=[be], lua=lua)
        wait_for(lambda: ctr(a, "redis-breaker-open", 1) == 0, what="the tier connected")
        c = client()
        assert a_addresses(c.ask(make_query("sentinel-tls.test."), a.listen[0])) == [be.host]
        wait_for(lambda: ctr(a, "redis-writes") >= 1, what="the answer written")
        assert len(tls_redis.keys()) >= 1
        assert ctr(a, "redis-connect-failures") == 0
    finally:
        sentinel.kill()
