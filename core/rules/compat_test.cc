// SPDX-License-Identifier: GPL-2.0-only
/// The selectors and actions dnsdist 1.7 configurations use that came late: TrailingDataRule,
/// EDNSVersionRule, DNSSECRule, SNIRule, MaxQPSRule's sense, QPSAction, NegativeAndSOAAction,
/// SetEDNSOptionAction, the Spoof* options and the self-generated EDNS settings.
#include <doctest.h>

#include <vector>

#include "core/rules/actions.hh"
#include "core/rules/selectors.hh"
#include "core/runtime_config.hh"
#include "dns/header.hh"
#include "dns/message.hh"
#include "dns/types.hh"
#include "dns/writer.hh"

using namespace ballast;
using namespace ballast::core;
namespace r = ballast::core::rules;

namespace {

/// A query in a 1232-byte buffer and the DQ over it.
struct Q {
  std::vector<uint8_t> buf;
  r::DQ dq;
  RuntimeConfig cfg;
  Address client = Address::parse("127.0.0.1:4000");
  explicit Q(uint16_t qtype = dns::qtype::A, bool edns = false, bool dnssecOk = false,
             std::vector<uint8_t> options = {}, bool rd = true) {
    dns::MessageWriter w(buf, 42, dns::Name::fromString("www.example."), qtype);
    w.header().setRd(rd);
    if (edns) w.addOpt(4096, dnssecOk, options);
    dq.length = buf.size();
    buf.resize(1232);
    dq.packet = buf.data();
    dq.capacity = buf.size();
    dq.remote = &client;
    dq.local = &client;
    dq.config = &cfg;
    reparse();
  }
  void reparse() {
    bool ok = dns::MessageView::parse({dq.packet, dq.length}, dq.message) == dns::ParseError::None;
    REQUIRE(ok);
    dq.qname = dq.message.question().name.toName();
  }
  dns::HeaderView header() const { return dns::HeaderView(dq.packet); }
};

}  // namespace

TEST_CASE("TrailingDataRule matches bytes after the last record") {
  Q q;
  auto s = r::trailingDataRule();
  CHECK_FALSE(s->matches(q.dq));
  q.dq.packet[q.dq.length++] = 0xab;
  CHECK(s->matches(q.dq));
}

TEST_CASE("EDNSVersionRule and DNSSECRule read the OPT record") {
  Q plain;
  Q edns(dns::qtype::A, true, false);
  Q doBit(dns::qtype::A, true, true);
  auto v0 = r::ednsVersionRule(0);
  CHECK_FALSE(v0->matches(plain.dq));
  CHECK_FALSE(v0->matches(edns.dq));
  // Version 1: the TTL field's second byte.
  edns.dq.packet[edns.dq.message.edns().recordOffset + 6] = 1;
  edns.reparse();
  CHECK(v0->matches(edns.dq));
  CHECK_FALSE(r::ednsVersionRule(1)->matches(edns.dq));
  auto dnssec = r::dnssecRule();
  CHECK_FALSE(dnssec->matches(plain.dq));
  CHECK_FALSE(dnssec->matches(edns.dq));
  CHECK(dnssec->matches(doBit.dq));
}

TEST_CASE("SNIRule compares the TLS server name, ignoring case") {
  Q q;
  auto s = r::sniRule("DoT.Example");
  CHECK_FALSE(s->matches(q.dq));  // not over TLS
  std::string sni = "dot.example";
  q.dq.sni = &sni;
  CHECK(s->matches(q.dq));
  sni = "dot.example.net";
  CHECK_FALSE(s->matches(q.dq));
}

TEST_CASE("MaxQPSRule matches the first qps queries of a second, then stops matching") {
  Q q;
  auto s = r::maxQpsRule(3, 3);
  q.dq.nowUsec = 5'000'000;
  CHECK(s->matches(q.dq));
  CHECK(s->matches(q.dq));
  CHECK(s->matches(q.dq));
  CHECK_FALSE(s->matches(q.dq));
  q.dq.nowUsec += 1'000'000;
  CHECK(s->matches(q.dq));
}

TEST_CASE("QPSAction drops above the limit and lets the rest go on") {
  Q q;
  auto a = r::qpsAction(2);
  q.dq.nowUsec = 1'000'000;
  CHECK(a->apply(q.dq) == r::Verdict::None);
  CHECK(a->apply(q.dq) == r::Verdict::None);
  CHECK(a->apply(q.dq) == r::Verdict::Drop);
  CHECK_THROWS_AS(r::qpsAction(0), std::invalid_argument);
}

TEST_CASE("SpoofAction: RA copies RD, AA and AD cleared, options set them and the TTL") {
  Q q(dns::qtype::A, true);
  REQUIRE(r::spoofAction({Address::parse("192.0.2.1", 0)})->apply(q.dq) == r::Verdict::Answer);
  q.reparse();
  CHECK(q.header().ra());
  CHECK_FALSE(q.header().aa());
  CHECK(q.header().ancount() == 1);
  CHECK(q.dq.message.edns().present);
  CHECK(q.dq.message.edns().udpPayloadSize == 1232);

  Q norecurse(dns::qtype::A, false, false, {}, false);
  r::SpoofOptions o;
  o.flags.aa = true;
  o.flags.ad = true;
  o.ttl = 3600;
  REQUIRE(r::spoofAction({Address::parse("192.0.2.1", 0)}, o)->apply(norecurse.dq) ==
          r::Verdict::Answer);
  norecurse.reparse();
  CHECK_FALSE(norecurse.header().ra());
  CHECK(norecurse.header().aa());
  CHECK(norecurse.header().ad());
  CHECK((*norecurse.dq.message.begin()).ttl == 3600);

  Q cname;
  o.flags = {};
  o.flags.ra = false;
  REQUIRE(r::spoofCnameAction(dns::Name::fromString("t.example."), o)->apply(cname.dq) ==
          r::Verdict::Answer);
  cname.reparse();
  CHECK_FALSE(cname.header().ra());
  CHECK((*cname.dq.message.begin()).type == dns::qtype::CNAME);
}

TEST_CASE("self-generated answers follow the payload size and add-EDNS settings") {
  Q q(dns::qtype::A, true);
  q.cfg.settings.payloadSizeSelfGenerated = 1400;
  REQUIRE(r::rcodeAction(dns::rcode::Refused)->apply(q.dq) == r::Verdict::Answer);
  q.reparse();
  CHECK(q.dq.message.edns().udpPayloadSize == 1400);

  Q off(dns::qtype::A, true);
  off.cfg.settings.addEDNSToSelfGenerated = false;
  REQUIRE(r::rcodeAction(dns::rcode::Refused)->apply(off.dq) == r::Verdict::Answer);
  off.reparse();
  CHECK_FALSE(off.dq.message.edns().present);
  CHECK(off.header().arcount() == 0);
  Q spoofOff(dns::qtype::A, true);
  spoofOff.cfg.settings.addEDNSToSelfGenerated = false;
  REQUIRE(r::spoofAction({Address::parse("192.0.2.1", 0)})->apply(spoofOff.dq) ==
          r::Verdict::Answer);
  spoofOff.reparse();
  CHECK_FALSE(spoofOff.dq.message.edns().present);
}

TEST_CASE("NegativeAndSOAAction answers NXDOMAIN or NODATA with the SOA in additional") {
  r::SoaFields soa;
  soa.zone = dns::Name::fromString("example.");
  soa.mname = dns::Name::fromString("ns.example.");
  soa.rname = dns::Name::fromString("hostmaster.example.");
  soa.ttl = 300;
  soa.serial = 2024;
  soa.minimum = 60;
  Q nxd;
  REQUIRE(r::negativeAndSoaAction(true, soa)->apply(nxd.dq) == r::Verdict::Answer);
  nxd.reparse();
  CHECK(nxd.header().rcode() == dns::rcode::NXDomain);
  CHECK(nxd.header().ancount() == 0);
  CHECK(nxd.header().arcount() == 1);
  auto rec = *nxd.dq.message.begin();
  CHECK(rec.type == dns::qtype::SOA);
  CHECK(rec.ttl == 300);
  CHECK(rec.section == dns::Section::Additional);
  Q nodata;
  r::ResponseFlags f;
  f.aa = true;
  REQUIRE(r::negativeAndSoaAction(false, soa, f)->apply(nodata.dq) == r::Verdict::Answer);
  nodata.reparse();
  CHECK(nodata.header().rcode() == dns::rcode::NoError);
  CHECK(nodata.header().aa());
}

TEST_CASE("SetEDNSOptionAction adds an OPT or replaces the option of the same code") {
  Q plain;
  auto a = r::setEdnsOptionAction(65001, "abc");
  CHECK(a->apply(plain.dq) == r::Verdict::None);
  REQUIRE(plain.dq.message.edns().present);  // the action parsed the query again
  CHECK(plain.dq.message.edns().udpPayloadSize == 512);
  int seen = 0;
  dns::forEachEdnsOption(plain.dq.message.ednsOptions(), [&](uint16_t c, auto d) {
    CHECK(c == 65001);
    CHECK(std::string(d.begin(), d.end()) == "abc");
    ++seen;
  });
  CHECK(seen == 1);

  // An OPT with DO, a cookie and an older 65001: both kept but 65001 replaced.
  std::vector<uint8_t> opts{0, 10, 0, 2, 'c', 'k', 0xfd, 0xe9, 0, 1, 'x'};
  Q edns(dns::qtype::A, true, true, opts);
  CHECK(a->apply(edns.dq) == r::Verdict::None);
  CHECK(edns.dq.message.edns().dnssecOk);
  CHECK(edns.dq.message.edns().udpPayloadSize == 4096);
  std::vector<std::pair<uint16_t, std::string>> got;
  dns::forEachEdnsOption(edns.dq.message.ednsOptions(), [&](uint16_t c, auto d) {
    got.emplace_back(c, std::string(d.begin(), d.end()));
  });
  REQUIRE(got.size() == 2);
  CHECK(got[0].first == 10);
  CHECK(got[0].second == "ck");
  CHECK(got[1].first == 65001);
  CHECK(got[1].second == "abc");
}

TEST_CASE("SetMacAddrAction adds the client's MAC as an EDNS option, nothing without one") {
  Q q;
  auto a = r::setMacAddrAction(65002, [](const Address& c) {
    return c.toString() == "127.0.0.1" ? std::string("\x52\x54\x00\x01\x02\x03", 6) : std::string();
  });
  CHECK(a->apply(q.dq) == r::Verdict::None);
  REQUIRE(q.dq.message.edns().present);
  std::string got;
  dns::forEachEdnsOption(q.dq.message.ednsOptions(), [&](uint16_t c, auto d) {
    if (c == 65002) got.assign(d.begin(), d.end());
  });
  CHECK(got == std::string("\x52\x54\x00\x01\x02\x03", 6));
  Q other;
  Address far = Address::parse("192.0.2.9:53");
  other.dq.remote = &far;
  size_t before = other.dq.length;
  CHECK(a->apply(other.dq) == r::Verdict::None);
  CHECK(other.dq.length == before);
  CHECK(!other.dq.message.edns().present);
}

TEST_CASE("selfGeneratedResponse follows the settings, and an extended rcode keeps its OPT") {
  Q q(dns::qtype::A, true);
  Settings s;
  s.addEDNSToSelfGenerated = false;
  size_t n = r::selfGeneratedResponse(q.dq.packet, q.dq.length, q.dq.capacity, q.dq.message,
                                      dns::rcode::Refused, &s);
  CHECK(n == q.dq.message.questionEnd());
  CHECK(q.header().arcount() == 0);
  Q ext(dns::qtype::A, true);
  n = r::selfGeneratedResponse(ext.dq.packet, ext.dq.length, ext.dq.capacity, ext.dq.message,
                               16 /* BADVERS */, &s);
  ext.dq.length = n;
  ext.reparse();
  CHECK(ext.dq.message.edns().present);
  CHECK(ext.dq.message.edns().extendedRcode == 1);
}
