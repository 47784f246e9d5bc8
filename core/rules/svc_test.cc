// SPDX-License-Identifier: GPL-2.0-only
#include "core/rules/svc.hh"

#include <doctest.h>

#include <stdexcept>

namespace r = ballast::core::rules;
using ballast::core::Address;
using ballast::dns::Name;

TEST_CASE("SVC key names") {
  CHECK(r::svcKeyFromName("mandatory") == 0);
  CHECK(r::svcKeyFromName("no-default-alpn") == 2);
  CHECK(r::svcKeyFromName("ipv6hint") == 6);
  CHECK(r::svcKeyFromName("key42") == 42);
  CHECK(r::svcKeyFromName("key65534") == 65534);
  CHECK_THROWS_AS(r::svcKeyFromName("key65535"), std::invalid_argument);
  CHECK_THROWS_AS(r::svcKeyFromName("key"), std::invalid_argument);
  CHECK_THROWS_AS(r::svcKeyFromName("key1x"), std::invalid_argument);
  CHECK_THROWS_AS(r::svcKeyFromName("porte"), std::invalid_argument);
}

TEST_CASE("SVC RDATA: priority, uncompressed target, parameters by increasing key") {
  r::SvcParams p;
  p.priority = 1;
  p.target = Name::fromString("dot.example.");
  p.mandatory = {3, 1, 3};  // sorted and made unique
  p.alpn = {"dot", "h2"};
  p.noDefaultAlpn = true;
  p.port = 853;
  p.ipv4hint = {Address::parse("192.0.2.1", 0)};
  p.ipv6hint = {Address::parse("2001:db8::1", 0)};
  p.other[42] = std::string("a\0b", 3);
  std::string expect;
  expect += std::string("\x00\x01", 2);
  expect += std::string(
      "\x03"
      "dot"
      "\x07"
      "example"
      "\x00",
      13);
  expect += std::string("\x00\x00\x00\x04\x00\x01\x00\x03", 8);  // mandatory
  expect += std::string(
      "\x00\x01\x00\x07\x03"
      "dot"
      "\x02"
      "h2",
      11);                                                       // alpn
  expect += std::string("\x00\x02\x00\x00", 4);                  // no-default-alpn
  expect += std::string("\x00\x03\x00\x02\x03\x55", 6);          // port 853
  expect += std::string("\x00\x04\x00\x04\xc0\x00\x02\x01", 8);  // ipv4hint
  expect += std::string("\x00\x06\x00\x10\x20\x01\x0d\xb8", 8) + std::string(11, '\0') + "\x01";
  expect += std::string(
      "\x00\x2a\x00\x03"
      "a\0b",
      7);  // key42
  CHECK(r::svcRdata(p) == expect);
}

TEST_CASE("SVC RDATA: alias mode has no parameters; bad alpn refused") {
  r::SvcParams p;
  p.target = Name::fromString("svc.example.");
  CHECK(r::svcRdata(p) == std::string("\x00\x00\x03svc\x07"
                                      "example\x00",
                                      15));
  p.alpn = {""};
  CHECK_THROWS_AS(r::svcRdata(p), std::invalid_argument);
}
