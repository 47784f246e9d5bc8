// SPDX-License-Identifier: GPL-2.0-only
#include "core/rules/kvs.hh"

#include <doctest.h>

#include <stdexcept>

namespace r = ballast::core::rules;
using ballast::core::Address;
using ballast::dns::Name;

TEST_CASE("qname keys: lower case, wire form or text without the final dot") {
  Name n = Name::fromString("WWW.Example.COM.");
  CHECK(r::qnameKey(n, true) == std::string("\x03www\x07"
                                            "example\x03"
                                            "com\x00",
                                            17));
  CHECK(r::qnameKey(n, false) == "www.example.com");
  CHECK(r::qnameKey(Name::fromString("."), false) == ".");
}

TEST_CASE("suffix keys: the name then its parents, down to minLabels") {
  Name n = Name::fromString("a.B.example.com.");
  CHECK(r::suffixKeys(n, 0, false) ==
        std::vector<std::string>{"a.b.example.com", "b.example.com", "example.com", "com"});
  CHECK(r::suffixKeys(n, 2, false) ==
        std::vector<std::string>{"a.b.example.com", "b.example.com", "example.com"});
  CHECK(r::suffixKeys(n, 4, false) == std::vector<std::string>{"a.b.example.com"});
  CHECK(r::suffixKeys(n, 5, false).empty());
  CHECK(r::suffixKeys(Name::fromString("."), 0, false).empty());
  auto wire = r::suffixKeys(Name::fromString("x.com."), 0, true);
  REQUIRE(wire.size() == 2);
  CHECK(wire[1] == std::string("\x03"
                               "com\x00",
                               5));
}

TEST_CASE("source IP keys: masked address bytes, then the port") {
  Address v4 = Address::parse("192.0.2.129:5300");
  CHECK(r::sourceIpKey(v4, 32, 128, false) == std::string("\xc0\x00\x02\x81", 4));
  CHECK(r::sourceIpKey(v4, 25, 128, false) == std::string("\xc0\x00\x02\x80", 4));
  CHECK(r::sourceIpKey(v4, 32, 128, true) == std::string("\xc0\x00\x02\x81\x14\xb4", 6));
  Address v6 = Address::parse("[2001:db8::ff]:53");
  std::string k = r::sourceIpKey(v6, 32, 64, false);
  CHECK(k.size() == 16);
  CHECK(k.substr(0, 4) == std::string("\x20\x01\x0d\xb8", 4));
  CHECK(k[15] == 0);
}

TEST_CASE("a store that cannot be opened is refused with the reason") {
  CHECK_THROWS_AS(r::cdbStore("/nonexistent/x.cdb", 0), std::runtime_error);
  CHECK_THROWS_AS(r::lmdbStore("/nonexistent/x.lmdb", "db", false), std::runtime_error);
}
