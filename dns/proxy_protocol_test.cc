// SPDX-License-Identifier: GPL-2.0-only
#include "dns/proxy_protocol.hh"

#include <doctest.h>

#include <stdexcept>
#include <vector>

using namespace ballast::dns::proxy;

namespace {

Endpoint v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
  Endpoint e;
  e.addr[0] = a;
  e.addr[1] = b;
  e.addr[2] = c;
  e.addr[3] = d;
  e.port = port;
  return e;
}

std::vector<uint8_t> fixed(uint8_t vc, uint8_t ft, uint16_t len) {
  std::vector<uint8_t> b(kSignature, kSignature + 12);
  b.insert(b.end(), {vc, ft, uint8_t(len >> 8), uint8_t(len)});
  return b;
}

}  // namespace

TEST_CASE("proxy: an IPv4 UDP header with TLVs, byte for byte, and parsed back") {
  Endpoint src = v4(192, 0, 2, 1, 5353), dst = v4(198, 51, 100, 7, 53);
  std::vector<Value> values = {{0x42, "bar"}, {0xE0, ""}};
  std::vector<uint8_t> out;
  write(out, &src, &dst, false, values);
  std::vector<uint8_t> want = fixed(0x21, 0x12, 12 + 6 + 3);
  want.insert(want.end(), {192, 0, 2, 1, 198, 51, 100, 7, 0x14, 0xE9, 0, 53});
  want.insert(want.end(), {0x42, 0, 3, 'b', 'a', 'r', 0xE0, 0, 0});
  CHECK(out == want);

  out.push_back(0xAB);  // the DNS message after it is not part of the header
  Header h;
  REQUIRE(parse(out, 512, h) == Status::Ok);
  CHECK(h.size == want.size());
  CHECK(h.command == Command::Proxy);
  CHECK_FALSE(h.stream);
  CHECK_FALSE(h.source.v6);
  CHECK(h.source.port == 5353);
  CHECK(h.destination.port == 53);
  CHECK(h.source.addr[0] == 192);
  CHECK(h.destination.addr[3] == 7);
  std::vector<Value> back;
  appendValues(h.tlvs, back);
  CHECK(back == values);
}

TEST_CASE("proxy: IPv6 over TCP, and a LOCAL header") {
  Endpoint src, dst;
  src.v6 = dst.v6 = true;
  src.addr[0] = 0x20;
  src.addr[15] = 1;
  src.port = 1;
  dst.addr[15] = 2;
  dst.port = 853;
  std::vector<uint8_t> out;
  write(out, &src, &dst, true, {});
  REQUIRE(out.size() == 16 + 36);
  CHECK(out[12] == 0x21);
  CHECK(out[13] == 0x21);
  Header h;
  REQUIRE(parse(out, 512, h) == Status::Ok);
  CHECK(h.stream);
  CHECK(h.source.v6);
  CHECK(h.source.addr[15] == 1);
  CHECK(h.destination.port == 853);
  CHECK(h.tlvs.empty());

  std::vector<uint8_t> local;
  write(local, nullptr, nullptr, false, {});
  CHECK(local == fixed(0x20, 0x00, 0));
  REQUIRE(parse(local, 512, h) == Status::Ok);
  CHECK(h.command == Command::Local);
  CHECK(h.size == 16);
}

TEST_CASE("proxy: mixed families write the destination as the source's unspecified address") {
  Endpoint src = v4(10, 0, 0, 1, 1000), dst;
  dst.v6 = true;
  dst.port = 53;
  std::vector<uint8_t> out;
  write(out, &src, &dst, false, {});
  REQUIRE(out.size() == 28);
  CHECK(out[20] == 0);
  CHECK(out[26] == 0);
  CHECK(out[27] == 53);  // the port is kept
}

TEST_CASE("proxy: strict bounds") {
  Endpoint src = v4(192, 0, 2, 1, 1), dst = v4(192, 0, 2, 2, 2);
  std::vector<uint8_t> good;
  std::vector<Value> one = {{1, "abcdef"}};
  write(good, &src, &dst, false, one);
  Header h;
  // Every strict prefix of a valid header is incomplete, never accepted.
  for (size_t n = 0; n < good.size(); ++n)
    CHECK(parse(std::span(good.data(), n), 512, h) == Status::Incomplete);
  CHECK(parse(good, good.size(), h) == Status::Ok);
  CHECK(parse(good, good.size() - 1, h) == Status::TooLarge);

  std::vector<uint8_t> b = good;
  b[0] = 'G';
  CHECK(parse(b, 512, h) == Status::BadSignature);
  CHECK(parse(std::span(b.data(), 1), 512, h) == Status::BadSignature);
  b = good;
  b[12] = 0x11;  // version 1
  CHECK(parse(b, 512, h) == Status::BadVersion);
  b[12] = 0x22;  // command 2
  CHECK(parse(b, 512, h) == Status::BadVersion);
  b = good;
  b[13] = 0x31;  // UNIX
  CHECK(parse(b, 512, h) == Status::BadFamily);
  b[13] = 0x00;  // UNSPEC with PROXY
  CHECK(parse(b, 512, h) == Status::BadFamily);
  b[13] = 0x13;  // unknown transport
  CHECK(parse(b, 512, h) == Status::BadFamily);
  CHECK(parse(fixed(0x21, 0x12, 11), 512, h) == Status::BadLength);
  CHECK(parse(fixed(0x21, 0x21, 35), 512, h) == Status::BadLength);
  b = good;
  b[16 + 12 + 2] = 7;  // the TLV says 7 bytes, 6 follow
  CHECK(parse(b, 512, h) == Status::BadTlv);
  b = good;
  b[15] = uint8_t(b[15] - 1);  // the length cuts the TLV header's last byte off
  b.pop_back();
  CHECK(parse(b, 512, h) == Status::BadTlv);
  // A length past the buffer is incomplete; past the maximum, too large at once.
  CHECK(parse(fixed(0x21, 0x11, 100), 512, h) == Status::Incomplete);
  CHECK(parse(fixed(0x21, 0x11, 600), 512, h) == Status::TooLarge);
}

TEST_CASE("proxy: values too large for the length field are refused") {
  Endpoint src = v4(192, 0, 2, 1, 1);
  std::vector<Value> v = {{1, std::string(65535, 'x')}};
  std::vector<uint8_t> out;
  CHECK_THROWS_AS(write(out, &src, nullptr, false, v), std::length_error);
}
