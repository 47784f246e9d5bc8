// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/server_speeds.hh"

#include <doctest.h>

using namespace ballast::backends::resolver;
using ballast::core::Address;

TEST_CASE("fastest first, unknown servers after known-good ones, timeouts back off, decay") {
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
  CHECK(v[0] == fast);
  CHECK(v[1] == slow);
  CHECK(v[2] == fresh);  // probed only after the known-good, or by exploration
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

TEST_CASE("a silent server goes after an unknown one; retransmission waits adapt and back off") {
  ServerSpeeds s;
  Address silent = Address::parse("192.0.2.1"), fresh = Address::parse("192.0.2.2"),
          good = Address::parse("192.0.2.3");
  s.recordTimeout(silent, 300000, 0);  // a short timeout still ranks below "unknown"
  CHECK(s.estimate(silent, 0) == 2 * ServerSpeeds::kUnknownUsec);
  s.recordAnswer(good, 2000, 0);
  std::vector<Address> v{silent, fresh, good};
  s.order(v, 0, 99);
  CHECK(v == std::vector<Address>{good, fresh, silent});
  CHECK(s.retransmitAfter(good, 0, 1500000, 0) == 14000);  // 2 x 2 ms + 10 ms
  CHECK(s.retransmitAfter(good, 0, 1500000, 2) == 56000);  // doubled per round
  CHECK(s.retransmitAfter(fresh, 0, 1500000, 0) == 375000);
  CHECK(s.retransmitAfter(silent, 0, 1500000, 0) == 1500000);  // capped
}

TEST_CASE("lame servers are remembered per zone for a while") {
  ServerSpeeds s;
  Address a = Address::parse("192.0.2.1");
  auto zone = ballast::dns::Name::fromString("lame.test.");
  CHECK_FALSE(s.isLame(a, zone, 0));
  s.markLame(a, zone, 0);
  CHECK(s.isLame(a, ballast::dns::Name::fromString("LAME.test."), 1));
  CHECK_FALSE(s.isLame(a, ballast::dns::Name::fromString("other.test."), 1));
  CHECK_FALSE(s.isLame(Address::parse("192.0.2.2"), zone, 1));
  CHECK_FALSE(s.isLame(a, zone, ServerSpeeds::kLameUsec));
}
