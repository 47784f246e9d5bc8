// SPDX-License-Identifier: GPL-2.0-only
#include "core/rules/message_selectors.hh"

#include <doctest.h>

#include <stdexcept>

#include <vector>

#include "dns/types.hh"
#include "dns/writer.hh"

namespace r = ballast::core::rules;
namespace dns = ballast::dns;

namespace {

/// A response to www.example. A with two A records, an NS and an OPT carrying `options`.
std::vector<uint8_t> message(std::vector<uint8_t> options) {
  std::vector<uint8_t> buf;
  dns::Name owner = dns::Name::fromString("www.example.");
  dns::MessageWriter w(buf, 1, owner, dns::qtype::A);
  for (uint8_t i = 1; i <= 2; ++i) {
    w.startRecord(owner, dns::qtype::A, 1, 60, dns::Section::Answer);
    w.putBytes(std::vector<uint8_t>{192, 0, 2, i});
    w.commit();
  }
  w.startRecord(dns::Name::fromString("example."), dns::qtype::NS, 1, 60, dns::Section::Authority);
  w.putName(dns::Name::fromString("ns.example."));
  w.commit();
  w.addOpt(1232, false, options);
  return buf;
}

}  // namespace

TEST_CASE("records of a type counted per section; OPT is in the additional section") {
  auto buf = message({});
  dns::MessageView m;
  REQUIRE((dns::MessageView::parse(buf, m) == dns::ParseError::None));
  CHECK(r::countRecordsOfType(m, 0, dns::qtype::A) == 1);
  CHECK(r::countRecordsOfType(m, 0, dns::qtype::AAAA) == 0);
  CHECK(r::countRecordsOfType(m, 1, dns::qtype::A) == 2);
  CHECK(r::countRecordsOfType(m, 1, dns::qtype::NS) == 0);
  CHECK(r::countRecordsOfType(m, 2, dns::qtype::NS) == 1);
  CHECK(r::countRecordsOfType(m, 3, 41) == 1);
  CHECK(r::countRecordsOfType(m, 3, dns::qtype::A) == 0);
}

TEST_CASE("EDNS options found by code") {
  auto buf = message({0, 10, 0, 2, 0xab, 0xcd, 0, 3, 0, 0});  // COOKIE, then NSID empty
  dns::MessageView m;
  REQUIRE((dns::MessageView::parse(buf, m) == dns::ParseError::None));
  CHECK(r::hasEdnsOption(m, 10));
  CHECK(r::hasEdnsOption(m, 3));
  CHECK_FALSE(r::hasEdnsOption(m, 8));
  auto none = message({});
  REQUIRE((dns::MessageView::parse(none, m) == dns::ParseError::None));
  CHECK_FALSE(r::hasEdnsOption(m, 10));
}

TEST_CASE("bad arguments are refused with the reason") {
  CHECK_THROWS_WITH_AS(r::recordsCountRule(4, 0, 1), "section 4 is not one of 0 (question) to 3",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(r::recordsTypeCountRule(1, 1, 3, 2), "minimum 3 above maximum 2",
                       std::invalid_argument);
  CHECK_THROWS_AS(r::re2Rule("a(b"), std::invalid_argument);
}
