// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/dnssec/rrset.hh"

#include <doctest.h>

#include "backends/resolver/dnssec/test_util.hh"
#include "dns/types.hh"
#include "dns/writer.hh"

using namespace ballast;
using namespace ballast::backends::resolver::dnssec;
using namespace ballast::backends::resolver::dnssec::testing;

TEST_CASE("collectRRsets groups a section into RRsets with their RRSIGs") {
  std::vector<uint8_t> buf;
  dns::Name www = dns::Name::fromString("www.example.");
  dns::Name zone = dns::Name::fromString("example.");
  auto sig = [](uint16_t covered, uint8_t marker) {
    auto r = parseRecord("x. RRSIG A 13 2 300 20300101000000 20200101000000 1 example. AAAA").rdata;
    r[0] = uint8_t(covered >> 8);
    r[1] = uint8_t(covered);
    r.back() = marker;
    return r;
  };
  dns::MessageWriter w(buf, 1, www, dns::qtype::A);
  for (uint8_t last : {1, 2}) {
    w.startRecord(www, dns::qtype::A, 1, last == 1 ? 300 : 200, dns::Section::Answer);
    w.putBytes(std::vector<uint8_t>{192, 0, 2, last});
    w.commit();
  }
  w.startRecord(www, dns::qtype::RRSIG, 1, 300, dns::Section::Answer);
  w.putBytes(sig(dns::qtype::A, 7));
  w.commit();
  // An RRSIG for a type with no records here, and an MX whose name is compressed.
  w.startRecord(www, dns::qtype::RRSIG, 1, 300, dns::Section::Answer);
  w.putBytes(sig(dns::qtype::TXT, 8));
  w.commit();
  w.startRecord(zone, dns::qtype::MX, 1, 300, dns::Section::Answer);
  w.putU16(10);
  w.putName(www);
  w.commit();
  w.startRecord(zone, dns::qtype::NSEC, 1, 60, dns::Section::Authority);
  w.putName(www, false);
  w.putBytes(std::vector<uint8_t>{0, 1, 0x40});
  w.commit();
  w.addOpt(1232, true);

  dns::MessageView m;
  REQUIRE(int(dns::MessageView::parse(buf, m)) == int(dns::ParseError::None));
  std::vector<SignedRRset> answer, authority;
  REQUIRE(collectRRsets(m, dns::Section::Answer, answer));
  REQUIRE(collectRRsets(m, dns::Section::Authority, authority));
  REQUIRE(answer.size() == 3);
  CHECK(answer[0].rrset.type == dns::qtype::A);
  CHECK(answer[0].rrset.rdatas.size() == 2);
  CHECK(answer[0].rrset.ttl == 200);  // the smallest
  REQUIRE(answer[0].rrsigs.size() == 1);
  CHECK(answer[0].rrsigs[0].back() == 7);
  CHECK(answer[1].rrset.type == dns::qtype::TXT);  // signatures without records
  CHECK(answer[1].rrset.rdatas.empty());
  CHECK(answer[1].rrsigs.size() == 1);
  CHECK(answer[2].rrset.type == dns::qtype::MX);
  // The compressed exchange came out whole: 2 + the name's wire length.
  CHECK(answer[2].rrset.rdatas[0].size() == 2 + www.wireLength());
  REQUIRE(authority.size() == 1);
  CHECK(authority[0].rrset.type == dns::qtype::NSEC);
  CHECK(authority[0].rrsigs.empty());
}

TEST_CASE("signedData refuses labels above the owner's and malformed RDATA") {
  RRset a = rrsetOf("w.example. 300 IN A 192.0.2.1");
  auto r = parseRecord("w.example. RRSIG A 13 3 300 20300101000000 20200101000000 1 example. AAAA");
  RrsigView sig;
  REQUIRE(parseRrsig(r.rdata, sig));
  std::vector<uint8_t> out;
  CHECK_FALSE(signedData(a, sig, out));  // labels 3 > 2
  r.rdata[3] = 2;
  REQUIRE(parseRrsig(r.rdata, sig));
  CHECK(signedData(a, sig, out));
  RRset mx = rrsetOf("w.example. 300 IN MX 10 mail.example.");
  mx.rdatas[0].resize(5);  // the exchange cut short
  r.rdata[1] = dns::qtype::MX;
  REQUIRE(parseRrsig(r.rdata, sig));
  CHECK_FALSE(signedData(mx, sig, out));
}
