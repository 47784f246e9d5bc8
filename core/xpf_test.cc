// SPDX-License-Identifier: GPL-2.0-only
#include <doctest.h>

#include <vector>

#include "core/xpf.hh"
#include "dns/message.hh"

using namespace ballast;
using namespace ballast::core;

TEST_CASE("XPF payload and record as the draft lays them out") {
  auto src = Address::parse("192.0.2.1:5300"), dst = Address::parse("198.51.100.2:53");
  std::string p = xpfPayload(false, src, dst);
  CHECK(p == std::string("\x04\x11\xc0\x00\x02\x01\xc6\x33\x64\x02\x14\xb4\x00\x35", 14));
  CHECK(xpfPayload(true, Address::parse("[2001:db8::1]:1"), Address::parse("[::1]:2")).size() ==
        38);
  CHECK(xpfPayload(true, src, Address::parse("[::1]:53")).empty());  // families differ

  // A query for "a." with trailing junk: the record replaces the junk and is counted.
  std::vector<uint8_t> q = {0x12, 0x34, 1,   0, 0, 1, 0, 0, 0,    0,   0,
                            0,    1,    'a', 0, 0, 1, 0, 1, 0xde, 0xad};
  size_t end = 19;
  q.resize(64);
  size_t n = appendXpf(q.data(), end, q.size(), 65422, p);
  REQUIRE(n == end + 11 + p.size());
  dns::MessageView m;
  REQUIRE((dns::MessageView::parse({q.data(), n}, m) == dns::ParseError::None));
  CHECK(m.header().arcount() == 1);
  CHECK(q[end] == 0);
  CHECK(q[end + 1] == 0xff);
  CHECK(q[end + 2] == 0x8e);
  CHECK(std::string(reinterpret_cast<const char*>(&q[end + 11]), p.size()) == p);
  CHECK(appendXpf(q.data(), end, end + 10, 65422, p) == 0);  // no room: unchanged
  CHECK(appendXpf(q.data(), end, q.size(), 65422, "") == 0);
}
