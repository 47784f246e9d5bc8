// SPDX-License-Identifier: GPL-2.0-only
#include "tier/breaker.hh"

#include <doctest.h>

using ballast::tier::Breaker;

TEST_CASE("a tier that stops answering opens the breaker within a few lookups") {
  Breaker b;
  CHECK(b.allows(0));
  CHECK_FALSE(b.failure(10));
  CHECK_FALSE(b.failure(20));
  CHECK(b.failure(30));  // 3 of 3
  CHECK(b.open());
  CHECK_FALSE(b.allows(40));
  CHECK_FALSE(b.allows(1000029));
  CHECK(b.allows(1000030));  // half-open
}

TEST_CASE("a burst of timeouts among many answered lookups leaves it closed") {
  Breaker b;
  for (int i = 0; i < 1000; ++i) b.success(100 + i);
  for (int i = 0; i < 100; ++i) CHECK_FALSE(b.failure(2000 + i));  // 100 of 1100
  CHECK_FALSE(b.open());
  CHECK(b.allows(3000));
}

TEST_CASE("failures count within a window only") {
  Breaker b;
  b.failure(0);
  b.failure(1);
  // A new window: the two above are forgotten.
  CHECK_FALSE(b.failure(1000001));
  CHECK_FALSE(b.failure(1000002));
  CHECK(b.failure(1000003));
}

TEST_CASE("half-open: a success closes it, a failure opens it for another period") {
  Breaker b;
  for (int i = 0; i < 3; ++i) b.failure(i);
  REQUIRE(b.open());
  CHECK_FALSE(b.failure(1000010));  // the try after the open period failed
  CHECK(b.open());
  CHECK_FALSE(b.allows(1500000));
  CHECK(b.allows(2000010));
  CHECK(b.success(2000020));
  CHECK_FALSE(b.open());
  CHECK(b.allows(2000021));
}
