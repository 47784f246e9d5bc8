// SPDX-License-Identifier: GPL-2.0-only
#include "dns/ecs.hh"

#include <doctest.h>

#include <cstdio>
#include <vector>

#include "dns/test_packet.hh"
#include "dns/types.hh"
#include "dns/writer.hh"

using namespace ballast::dns;

namespace {

std::vector<uint8_t> query(bool edns, std::vector<uint8_t> options = {}) {
  std::vector<uint8_t> buf;
  MessageWriter w(buf, 0x4242, Name::fromString("www.example.com"), qtype::A);
  if (edns) w.addOpt(1232, true, options);
  return buf;
}

MessageView parsed(const std::vector<uint8_t>& b, size_t len) {
  MessageView m;
  REQUIRE(testing::reason(MessageView::parse({b.data(), len}, m)) ==
          testing::reason(ParseError::None));
  return m;
}

std::vector<uint8_t> option(const char* addr4, uint8_t prefix) {
  uint8_t a[4];
  unsigned x[4];
  REQUIRE(sscanf(addr4, "%u.%u.%u.%u", &x[0], &x[1], &x[2], &x[3]) == 4);
  for (int i = 0; i < 4; ++i) a[i] = uint8_t(x[i]);
  std::vector<uint8_t> out(kMaxEcsOptionSize);
  out.resize(writeClientSubnetOption(makeClientSubnet(a, 4, prefix), out.data()));
  return out;
}

}  // namespace

TEST_CASE("an ECS option is written as RFC 7871 lays it out, cut to the prefix") {
  CHECK(option("192.0.2.77", 24) == std::vector<uint8_t>{0, 8, 0, 7, 0, 1, 24, 0, 192, 0, 2});
  CHECK(option("192.0.2.77", 20) == std::vector<uint8_t>{0, 8, 0, 7, 0, 1, 20, 0, 192, 0, 0});
  CHECK(option("192.0.2.77", 0) == std::vector<uint8_t>{0, 8, 0, 4, 0, 1, 0, 0});
  CHECK(option("192.0.2.77", 40).size() == 12);  // clamped to /32
  uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
  uint8_t out[kMaxEcsOptionSize];
  size_t n = writeClientSubnetOption(makeClientSubnet(v6, 16, 56), out);
  CHECK(std::vector<uint8_t>(out, out + n) ==
        std::vector<uint8_t>{0, 8, 0, 11, 0, 2, 56, 0, 0x20, 0x01, 0x0d, 0xb8, 0xaa, 0xbb, 0xcc});
}

TEST_CASE("the parser takes what the writer makes and refuses malformed options") {
  auto opt = option("198.51.100.9", 22);
  ClientSubnet s;
  REQUIRE(parseClientSubnet({opt.data() + 4, opt.size() - 4}, s));
  CHECK(s.family == 1);
  CHECK(s.sourcePrefix == 22);
  CHECK(s.address[2] == 100);
  std::vector<std::vector<uint8_t>> bad = {
      {0, 1, 24},                 // short
      {0, 3, 24, 0, 1, 2, 3},     // unknown family
      {0, 1, 33, 0, 1, 2, 3, 4},  // prefix over 32
      {0, 1, 24, 0, 1, 2},        // address too short for /24
      {0, 1, 24, 0, 1, 2, 3, 4},  // too long for /24
      {0, 1, 23, 0, 1, 2, 3},     // bits past the prefix
      {0, 2, 129, 0},             // IPv6 prefix over 128
  };
  for (const auto& b : bad) CHECK_FALSE(parseClientSubnet(b, s));
}

TEST_CASE("a query without OPT gets one carrying the option; removing it restores the query") {
  auto q = query(false);
  size_t original = q.size();
  auto before = q;
  q.resize(512);
  size_t len = original;
  auto opt = option("10.1.2.3", 24);
  CHECK(addClientSubnet(q.data(), len, q.size(), parsed(q, len), opt, false) ==
        EcsEdit::AddedWithOpt);
  CHECK(len == original + 11 + opt.size());
  auto m = parsed(q, len);
  REQUIRE(m.edns().present);
  CHECK(m.edns().udpPayloadSize == kEcsAddedOptPayload);
  ClientSubnet s;
  REQUIRE(findClientSubnet(m, s));
  CHECK(s.sourcePrefix == 24);
  len = removeOptRecord(q.data(), len, m);
  CHECK(std::vector<uint8_t>(q.begin(), q.begin() + len) == before);
}

TEST_CASE("an existing ECS option is kept or replaced; other options and trailing data stay") {
  std::vector<uint8_t> cookie = {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
  auto theirs = option("192.0.2.1", 32);
  std::vector<uint8_t> opts = theirs;
  opts.insert(opts.end(), cookie.begin(), cookie.end());
  auto q = query(true, opts);
  q.push_back(0xde);  // trailing data
  q.push_back(0xad);
  size_t len = q.size();
  q.resize(1024);
  auto mine = option("10.9.8.7", 24);
  size_t keptLen = len;
  CHECK(addClientSubnet(q.data(), keptLen, q.size(), parsed(q, len), mine, false) == EcsEdit::Kept);
  CHECK(keptLen == len);
  CHECK(addClientSubnet(q.data(), len, q.size(), parsed(q, len), mine, true) == EcsEdit::Replaced);
  auto m = parsed(q, len);
  ClientSubnet s;
  REQUIRE(findClientSubnet(m, s));
  CHECK(s.address[0] == 10);
  CHECK(s.sourcePrefix == 24);
  int ecsCount = 0, cookies = 0;
  forEachEdnsOption(m.ednsOptions(), [&](uint16_t c, std::span<const uint8_t>) {
    ecsCount += c == kEcsOptionCode;
    cookies += c == 10;
  });
  CHECK(ecsCount == 1);
  CHECK(cookies == 1);
  CHECK(q[len - 2] == 0xde);
  CHECK(q[len - 1] == 0xad);
  // The response path takes the option back out.
  len = removeEdnsOption(q.data(), len, m, kEcsOptionCode);
  auto after = parsed(q, len);
  CHECK_FALSE(findClientSubnet(after, s));
  CHECK(after.edns().optionsLength == cookie.size());
  CHECK(q[len - 1] == 0xad);
}

TEST_CASE("no room: nothing changes") {
  auto q = query(true);
  size_t len = q.size();
  auto opt = option("10.1.2.3", 24);
  auto copy = q;
  CHECK(addClientSubnet(q.data(), len, q.size() + 3, parsed(q, len), opt, false) ==
        EcsEdit::NoRoom);
  CHECK(len == copy.size());
  CHECK(q == copy);
}
