// SPDX-License-Identifier: GPL-2.0-only
#include "dns/tcp_framing.hh"

#include <doctest.h>

#include <vector>

using namespace ballast::dns;

TEST_CASE("frames: pipelined messages come out whole, a partial one stays") {
  std::vector<uint8_t> b = {0, 3, 'a', 'b', 'c', 0, 0, 0, 2, 'x', 'y', 0, 5, '1', '2'};
  FrameReader r(b);
  std::span<const uint8_t> m;
  REQUIRE(r.next(m));
  CHECK(std::vector<uint8_t>(m.begin(), m.end()) == std::vector<uint8_t>{'a', 'b', 'c'});
  REQUIRE(r.next(m));
  CHECK(m.empty());
  REQUIRE(r.next(m));
  CHECK(m.size() == 2);
  CHECK_FALSE(r.next(m));  // 5 announced, 2 received
  CHECK(r.consumed() == 11);
}

TEST_CASE("frames: half a length prefix is not a frame") {
  std::vector<uint8_t> b = {0};
  FrameReader r(b);
  std::span<const uint8_t> m;
  CHECK_FALSE(r.next(m));
  CHECK(r.consumed() == 0);
}

TEST_CASE("frames: the largest message and its header") {
  std::vector<uint8_t> b(2 + 65535, 7);
  writeFrameHeader(b.data(), 65535);
  CHECK(b[0] == 0xff);
  CHECK(b[1] == 0xff);
  FrameReader r(b);
  std::span<const uint8_t> m;
  REQUIRE(r.next(m));
  CHECK(m.size() == 65535);
  CHECK(r.consumed() == b.size());
}
