// SPDX-License-Identifier: GPL-2.0-only
#include "dns/rdata.hh"

#include <doctest.h>

#include "dns/types.hh"
#include "dns/writer.hh"

using namespace ballast::dns;

namespace {

/// A response whose NS, MX and SOA RDATA names are compressed against the question.
std::vector<uint8_t> sample() {
  std::vector<uint8_t> buf;
  Name zone = Name::fromString("example.test.");
  MessageWriter w(buf, 1, zone, qtype::NS);
  w.startRecord(zone, qtype::NS, 1, 300, Section::Answer);
  w.putName(Name::fromString("ns1.example.test."));
  w.commit();
  w.startRecord(zone, qtype::MX, 1, 300, Section::Answer);
  w.putU16(10);
  w.putName(Name::fromString("mail.example.test."));
  w.commit();
  w.startRecord(zone, qtype::SOA, 1, 300, Section::Authority);
  w.putName(Name::fromString("ns1.example.test."));
  w.putName(Name::fromString("hostmaster.example.test."));
  for (uint32_t v : {1u, 2u, 3u, 4u, 60u}) w.putU32(v);
  w.commit();
  return buf;
}

}  // namespace

TEST_CASE("canonicalRdata decompresses embedded names and keeps fixed fields") {
  auto buf = sample();
  MessageView m;
  REQUIRE(int(MessageView::parse(buf, m)) == int(ParseError::None));
  std::vector<uint8_t> out;
  Name target;
  int seen = 0;
  for (const auto& r : m) {
    REQUIRE(canonicalRdata(m, r, out));
    if (r.type == qtype::NS) {
      CHECK(r.rdataLength < out.size());  // it was compressed
      REQUIRE(rdataTarget(qtype::NS, out, target));
      CHECK(target == Name::fromString("ns1.example.test."));
      ++seen;
    } else if (r.type == qtype::MX) {
      CHECK(out[0] == 0);
      CHECK(out[1] == 10);
      REQUIRE(rdataTarget(qtype::MX, out, target));
      CHECK(target == Name::fromString("mail.example.test."));
      ++seen;
    } else if (r.type == qtype::SOA) {
      uint32_t minimum = 0;
      REQUIRE(soaMinimum(out, minimum));
      CHECK(minimum == 60);
      ++seen;
    }
  }
  CHECK(seen == 3);
}

TEST_CASE("canonicalRdata refuses a name running past its RDATA") {
  auto buf = sample();
  MessageView m;
  REQUIRE(int(MessageView::parse(buf, m)) == int(ParseError::None));
  RecordView r = *m.begin();
  r.rdataLength = 1;  // the NS name cut short
  std::vector<uint8_t> out;
  CHECK_FALSE(canonicalRdata(m, r, out));
  Name target;
  CHECK_FALSE(rdataTarget(qtype::A, std::vector<uint8_t>{1, 2, 3, 4}, target));
  CHECK_FALSE(rdataTarget(qtype::NS, std::vector<uint8_t>{5, 'a'}, target));
}
