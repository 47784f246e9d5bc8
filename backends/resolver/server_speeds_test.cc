// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/server_speeds.hh"

#include <doctest.h>

using namespace ballast::backends::resolver;
using ballast::core::Address;

TEST_CASE("fastest first, unknown servers look fast, timeouts back off, figures decay") {
  ServerSpeeds s;
  Address fast = Address::parse("192.0.2.1"), slow = Address::parse("192.0.2.2"),
          fresh = Address::parse("192.0.2.3");
  s.recordAnswer(fast, 1000, 0);
  s.recordAnswer(slow, 50000, 0);
  CHECK(s.estimate(fast, 0) == 1000);
  s.recordAnswer(fast, 2000, 0);
  CHECK(s.estimate(fast, 0) == 1300);  // 0.7 * old + 0.3 * new
  std::vector<Address> v{slow, fast, fresh};
  s.order(v, 0, 99);  // 99 % 100 >= 5: no exploration
  CHECK(v[0] == fresh);
  CHECK(v[1] == fast);
  CHECK(v[2] == slow);
  s.recordTimeout(fast, 1500000, 0);
  CHECK(s.estimate(fast, 0) == 1500000);
  s.recordTimeout(fast, 1500000, 0);
  CHECK(s.estimate(fast, 0) == 3000000);
  CHECK(s.estimate(fast, 60'000'000) == 1500000);  // halved after a minute
  v = {fast, slow};
  s.order(v, 0, 99);
  CHECK(v[0] == slow);
  s.order(v, 0, 2);  // exploration: the runner-up goes first
  CHECK(v[0] == fast);
}

TEST_CASE("EDNS fallback is remembered per server") {
  ServerSpeeds s;
  Address a = Address::parse("192.0.2.1");
  CHECK_FALSE(s.noEdns(a));
  s.setNoEdns(a);
  CHECK(s.noEdns(a));
  CHECK_FALSE(s.noEdns(Address::parse("192.0.2.1:5353")));
}
