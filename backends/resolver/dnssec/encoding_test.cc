// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/dnssec/encoding.hh"

#include <doctest.h>

#include <string>

using namespace ballast::backends::resolver::dnssec;

TEST_CASE("base64 decodes with padding and whitespace, refuses junk") {
  auto v = fromBase64("Zm9v YmE=");
  REQUIRE(v);
  CHECK(std::string(v->begin(), v->end()) == "fooba");
  CHECK(fromBase64("Zm9vYg==")->size() == 4);
  CHECK(fromBase64("")->empty());
  CHECK_FALSE(fromBase64("Zm9v!"));
  CHECK_FALSE(fromBase64("Zm9vY"));     // 6 leftover bits
  CHECK_FALSE(fromBase64("Zm9vYh=="));  // non-zero padding bits
  CHECK_FALSE(fromBase64("Zg==Zg=="));  // data after padding
}

TEST_CASE("hex and base32hex round trips") {
  CHECK(toHex(*fromHex("AaBb cc")) == "aabbcc");
  CHECK_FALSE(fromHex("abc"));
  CHECK_FALSE(fromHex("zz"));
  // RFC 4648 10 test vectors for base32hex, without padding.
  std::string foobar = "foobar";
  std::span<const uint8_t> b(reinterpret_cast<const uint8_t*>(foobar.data()), foobar.size());
  CHECK(toBase32Hex(b.first(1)) == "co");
  CHECK(toBase32Hex(b.first(3)) == "cpnmu");
  CHECK(toBase32Hex(b) == "cpnmuoj1e8");
  auto back = fromBase32Hex("CPNMUOJ1E8");
  REQUIRE(back);
  CHECK(std::string(back->begin(), back->end()) == "foobar");
  CHECK_FALSE(fromBase32Hex("w0"));
  CHECK_FALSE(fromBase32Hex("cp"));  // 10 bits: not a whole byte plus zero padding
}
