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
  CHECK(u.password == "pw");
}

TEST_CASE("bad redis URLs are refused with the reason") {
  RedisSettings s;
  CHECK_THROWS_AS(parseRedisUrl("http://127.0.0.1", s), std::invalid_argument);
  CHECK_THROWS_AS(parseRedisUrl("redis://127.0.0.1:0", s), std::invalid_argument);
  CHECK_THROWS_AS(parseRedisUrl("redis://127.0.0.1:99999", s), std::invalid_argument);
  CHECK_THROWS_AS(parseRedisUrl("redis://127.0.0.1/x", s), std::invalid_argument);
  CHECK_THROWS_AS(parseRedisUrl("redis:///0", s), std::invalid_argument);
}
