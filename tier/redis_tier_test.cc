// SPDX-License-Identifier: GPL-2.0-only
#include "tier/redis_tier.hh"

#include <doctest.h>

#include <stdexcept>

using ballast::tier::parseRedisUrl;
using ballast::tier::RedisSettings;

TEST_CASE("redis URLs: host, port, database and password") {
  RedisSettings s;
  parseRedisUrl("redis://127.0.0.2:6380/3", s);
  CHECK(s.host == "127.0.0.2");
  CHECK(s.port == 6380);
  CHECK(s.db == 3);
  CHECK(s.password.empty());

  RedisSettings a;
  parseRedisUrl("redis://:s3cret@localhost", a);
  CHECK(a.host == "localhost");
  CHECK(a.port == 6379);
  CHECK(a.db == 0);
  CHECK(a.password == "s3cret");

  RedisSettings u;
  parseRedisUrl("redis://user:pw@[::1]:7000/0", u);
  CHECK(u.host == "::1");
  CHECK(u.port == 7000);
  CHECK(u.user == "user");
  CHECK(u.password == "pw");
  CHECK_FALSE(u.tls.enabled);
  CHECK(u.sentinels.empty());
}

TEST_CASE("rediss:// is TLS, with a user name or a password alone") {
  RedisSettings s;
  parseRedisUrl("rediss://cache:p@ss@redis.example:6380/2", s);
  CHECK(s.tls.enabled);
  CHECK(s.tls.verify);
  CHECK(s.host == "redis.example");
  CHECK(s.port == 6380);
  CHECK(s.db == 2);
  CHECK(s.user == "cache");
  CHECK(s.password == "p@ss");

  RedisSettings p;
  parseRedisUrl("rediss://:pw@127.0.0.1", p);
  CHECK(p.tls.enabled);
  CHECK(p.user.empty());
  CHECK(p.password == "pw");
}

TEST_CASE("redis-sentinel URLs: the sentinels, the master's name and the database") {
  RedisSettings s;
  parseRedisUrl("redis-sentinel://127.0.0.1:26380,[::1],sent.example:5000/cachemaster/3", s);
  REQUIRE(s.sentinels.size() == 3);
  CHECK(s.sentinels[0].host == "127.0.0.1");
  CHECK(s.sentinels[0].port == 26380);
  CHECK(s.sentinels[1].host == "::1");
  CHECK(s.sentinels[1].port == 26379);
  CHECK(s.sentinels[2].host == "sent.example");
  CHECK(s.sentinels[2].port == 5000);
  CHECK(s.masterName == "cachemaster");
  CHECK(s.db == 3);
  CHECK_FALSE(s.tls.enabled);

  RedisSettings t;
  parseRedisUrl("rediss-sentinel://:pw@127.0.0.1/m", t);
  CHECK(t.tls.enabled);
  CHECK(t.masterName == "m");
  CHECK(t.db == 0);
  CHECK(t.password == "pw");

  RedisSettings bad;
  CHECK_THROWS_AS(parseRedisUrl("redis-sentinel://127.0.0.1:26379", bad), std::invalid_argument);
  CHECK_THROWS_AS(parseRedisUrl("redis-sentinel://127.0.0.1:26379/", bad), std::invalid_argument);
  CHECK_THROWS_AS(parseRedisUrl("redis-sentinel://a,,b/m", bad), std::invalid_argument);
  CHECK_THROWS_AS(parseRedisUrl("redis://a:1,b:2/0", bad), std::invalid_argument);
}

TEST_CASE("Redis Cluster URLs are refused with the reason") {
  RedisSettings s;
  try {
    parseRedisUrl("redis-cluster://127.0.0.1:7000", s);
    FAIL("a cluster URL was taken");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("Redis Cluster is not supported") != std::string::npos);
  }
}

TEST_CASE("bad redis URLs are refused with the reason") {
  RedisSettings s;
  CHECK_THROWS_AS(parseRedisUrl("http://127.0.0.1", s), std::invalid_argument);
  CHECK_THROWS_AS(parseRedisUrl("redis://127.0.0.1:0", s), std::invalid_argument);
  CHECK_THROWS_AS(parseRedisUrl("redis://127.0.0.1:99999", s), std::invalid_argument);
  CHECK_THROWS_AS(parseRedisUrl("redis://127.0.0.1/x", s), std::invalid_argument);
  CHECK_THROWS_AS(parseRedisUrl("redis:///0", s), std::invalid_argument);
}
