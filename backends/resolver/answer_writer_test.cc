// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/answer_writer.hh"

#include <doctest.h>

#include <cstring>

#include "backends/resolver/instance.hh"
#include "dns/message.hh"
#include "dns/types.hh"

using namespace ballast::backends::resolver;
namespace dns = ballast::dns;

namespace {

Job jobFor(const char* qname, bool edns, uint16_t udpSize = 512) {
  Job j;
  dns::Name n = dns::Name::fromString(qname);
  j.id = 4242;
  j.qname = n;
  j.qtype = dns::qtype::A;
  j.qclass = dns::qclass::IN;
  j.rd = true;
  j.edns = edns;
  j.udpSize = udpSize;
  return j;
}

Answer manyAddresses(const char* qname, int n) {
  Answer a;
  a.rcode = dns::rcode::NoError;
  for (int i = 0; i < n; ++i)
    a.answer.push_back({dns::Name::fromString(qname), dns::qtype::A, 300, {192, 0, 2, uint8_t(i)}});
  return a;
}

}  // namespace

TEST_CASE("the answer keeps the client's question, ID and case, with RA and RD") {
  Job j = jobFor("WwW.Example.TEST.", false);
  std::vector<uint8_t> out;
  writeAnswer(j, manyAddresses("www.example.test.", 2), 1232, "", true, out);
  dns::MessageView m;
  REQUIRE(int(dns::MessageView::parse(out, m)) == int(dns::ParseError::None));
  CHECK(m.header().id() == 4242);
  CHECK(m.header().qr());
  CHECK(m.header().ra());
  CHECK(m.header().rd());
  CHECK_FALSE(m.header().tc());
  CHECK(m.header().ancount() == 2);
  CHECK(m.question().name.toString() == "WwW.Example.TEST.");
  CHECK_FALSE(m.edns().present);
}

TEST_CASE("too big for the client's UDP size: TC and the question only") {
  std::vector<uint8_t> out;
  writeAnswer(jobFor("big.test.", false), manyAddresses("big.test.", 40), 1232, "", true, out);
  dns::MessageView m;
  REQUIRE(int(dns::MessageView::parse(out, m)) == int(dns::ParseError::None));
  CHECK(m.header().tc());
  CHECK(m.header().ancount() == 0);
  // With EDNS and a 4096-byte client buffer it fits in our 1232.
  writeAnswer(jobFor("big.test.", true, 4096), manyAddresses("big.test.", 40), 1232, "", true, out);
  REQUIRE(int(dns::MessageView::parse(out, m)) == int(dns::ParseError::None));
  CHECK_FALSE(m.header().tc());
  CHECK(m.header().ancount() == 40);
  CHECK(m.edns().present);
  CHECK(m.edns().udpPayloadSize == 1232);
  // Over a stream there is no UDP limit.
  writeAnswer(jobFor("big.test.", false), manyAddresses("big.test.", 40), 1232, "", false, out);
  REQUIRE(int(dns::MessageView::parse(out, m)) == int(dns::ParseError::None));
  CHECK(m.header().ancount() == 40);
}

TEST_CASE("SERVFAIL carries no partial chain; NSID only when asked and configured") {
  Answer a = manyAddresses("x.test.", 1);
  a.rcode = dns::rcode::ServFail;
  Job j = jobFor("x.test.", true, 1232);
  std::vector<uint8_t> out;
  writeAnswer(j, a, 1232, "node-7", true, out);
  dns::MessageView m;
  REQUIRE(int(dns::MessageView::parse(out, m)) == int(dns::ParseError::None));
  CHECK(m.header().rcode() == dns::rcode::ServFail);
  CHECK(m.header().ancount() == 0);
  CHECK_FALSE(m.header().tc());  // nothing was truncated
  CHECK(m.edns().optionsLength == 0);
  writeAnswer(j, a, 1232, "", false, out);  // over a stream neither
  REQUIRE(int(dns::MessageView::parse(out, m)) == int(dns::ParseError::None));
  CHECK_FALSE(m.header().tc());
  j.wantsNsid = true;
  writeAnswer(j, a, 1232, "node-7", true, out);
  REQUIRE(int(dns::MessageView::parse(out, m)) == int(dns::ParseError::None));
  std::string nsid;
  dns::forEachEdnsOption(m.ednsOptions(), [&](uint16_t code, std::span<const uint8_t> data) {
    if (code == 3) nsid.assign(data.begin(), data.end());
  });
  CHECK(nsid == "node-7");
}

namespace {
Answer signedAnswer(dnssec::Verdict v) {
  Answer a = manyAddresses("www.secure.test.", 1);
  a.answer.push_back({dns::Name::fromString("www.secure.test."),
                      dns::qtype::RRSIG,
                      300,
                      {0, 1, 13, 3, 0, 0, 1, 44}});
  a.authority.push_back(
      {dns::Name::fromString("secure.test."), dns::qtype::NSEC, 300, {0, 0, 6, 0x40, 0, 0, 0, 3}});
  a.validated = true;
  a.verdict = v;
  return a;
}

size_t countType(const dns::MessageView& m, uint16_t type) {
  size_t n = 0;
  for (const auto& rv : m)
    if (rv.type == type) ++n;
  return n;
}
}  // namespace

TEST_CASE("DNSSEC: AD for AD or DO clients on secure answers, RRSIG and NSEC only with DO") {
  std::vector<uint8_t> out;
  dns::MessageView m;
  Job j = jobFor("www.secure.test.", true, 1232);
  writeAnswer(j, signedAnswer(dnssec::secure()), 1232, "", true, out);
  REQUIRE(int(dns::MessageView::parse(out, m)) == int(dns::ParseError::None));
  CHECK_FALSE(m.header().ad());  // neither AD nor DO asked
  CHECK(countType(m, dns::qtype::RRSIG) == 0);
  CHECK(countType(m, dns::qtype::NSEC) == 0);
  CHECK(countType(m, dns::qtype::A) == 1);
  j.ad = true;
  writeAnswer(j, signedAnswer(dnssec::secure()), 1232, "", true, out);
  REQUIRE(int(dns::MessageView::parse(out, m)) == int(dns::ParseError::None));
  CHECK(m.header().ad());
  j.ad = false;
  j.dnssecOk = true;
  writeAnswer(j, signedAnswer(dnssec::secure()), 1232, "", true, out);
  REQUIRE(int(dns::MessageView::parse(out, m)) == int(dns::ParseError::None));
  CHECK(m.header().ad());
  CHECK(m.edns().dnssecOk);
  CHECK(countType(m, dns::qtype::RRSIG) == 1);
  CHECK(countType(m, dns::qtype::NSEC) == 1);
  writeAnswer(j, signedAnswer(dnssec::insecure(dnssec::ede::kNone, "unsigned")), 1232, "", true,
              out);
  REQUIRE(int(dns::MessageView::parse(out, m)) == int(dns::ParseError::None));
  CHECK_FALSE(m.header().ad());
}

TEST_CASE("DNSSEC: bogus is a bare SERVFAIL with the Extended DNS Error; CD is echoed") {
  std::vector<uint8_t> out;
  dns::MessageView m;
  Job j = jobFor("www.badsig.test.", true, 1232);
  j.cd = true;
  Answer a = signedAnswer(dnssec::bogus(dnssec::ede::SignatureExpired, "expired"));
  a.rcode = dns::rcode::ServFail;
  writeAnswer(j, a, 1232, "", true, out);
  REQUIRE(int(dns::MessageView::parse(out, m)) == int(dns::ParseError::None));
  CHECK(m.header().rcode() == dns::rcode::ServFail);
  CHECK(m.header().cd());
  CHECK_FALSE(m.header().ad());
  CHECK(countType(m, dns::qtype::A) == 0);
  int seen = 0;
  dns::forEachEdnsOption(m.ednsOptions(), [&](uint16_t code, std::span<const uint8_t> data) {
    if (code != 15) return;
    ++seen;
    REQUIRE(data.size() == 2 + std::strlen("expired"));
    CHECK((data[0] << 8 | data[1]) == dnssec::ede::SignatureExpired);
    CHECK(std::string(data.begin() + 2, data.end()) == "expired");
  });
  CHECK(seen == 1);
  // Without EDNS: no OPT, so no EDE.
  j.edns = false;
  writeAnswer(j, a, 1232, "", true, out);
  REQUIRE(int(dns::MessageView::parse(out, m)) == int(dns::ParseError::None));
  CHECK_FALSE(m.edns().present);
}
