// SPDX-License-Identifier: GPL-2.0-only
#include "core/cache_tier.hh"

#include <doctest.h>

#include <vector>

using namespace ballast::core;

TEST_CASE("tier values round-trip with their TTL and insertion time") {
  std::vector<uint8_t> answer(40, 0xab);
  auto v = encodeTierValue(answer, 300, 1700000000);
  TierValue out;
  REQUIRE(decodeTierValue(v, out));
  CHECK(out.ttl == 300);
  CHECK(out.insertedUnix == 1700000000);
  CHECK(std::vector<uint8_t>(out.answer.begin(), out.answer.end()) == answer);
}

TEST_CASE("corrupt, truncated and foreign tier values are refused") {
  std::vector<uint8_t> answer(40, 0x11);
  auto good = encodeTierValue(answer, 60, 1);
  TierValue out;
  for (size_t i = 0; i < good.size(); ++i) {
    auto bad = good;
    bad[i] ^= 0x01;
    CHECK_FALSE(decodeTierValue(bad, out));
  }
  CHECK_FALSE(decodeTierValue({good.data(), good.size() - 1}, out));
  CHECK_FALSE(decodeTierValue({}, out));
  std::vector<uint8_t> foreign = {'h', 'e', 'l', 'l', 'o'};
  CHECK_FALSE(decodeTierValue(foreign, out));
}

TEST_CASE("tier keys name the schema and every part of the cache key") {
  CacheKey a;
  a.hash = 0x1234;
  a.qtype = 1;
  a.qclass = 1;
  a.flags = CacheKey::kRd;
  CacheKey b = a;
  b.flags |= CacheKey::kDo;
  CHECK(tierKey(a) == "ballast:pc1:0000000000001234:1:1:1");
  CHECK(tierKey(a) != tierKey(b));
}
