// SPDX-License-Identifier: GPL-2.0-only
#include <doctest.h>

#include "backends/resolver/iterator.hh"
#include "dns/rdata.hh"
#include "dns/types.hh"
#include "dns/writer.hh"

using namespace ballast::backends::resolver;
using ballast::dns::Name;
namespace dns = ballast::dns;
namespace qtype = ballast::dns::qtype;

namespace {

Name n(const char* s) {
  return Name::fromString(s);
}

/// A response under construction: question, then records in section order.
struct Response {
  std::vector<uint8_t> buf;
  dns::MessageWriter w;
  Response(const char* qname, uint16_t type, bool aa, uint8_t rcode = 0)
      : w(buf, 7, n(qname), type) {
    w.header().setQr(true);
    w.header().setAa(aa);
    w.header().setRcode(rcode);
  }
  Response& name(const char* owner, uint16_t type, const char* target, dns::Section s) {
    w.startRecord(n(owner), type, 1, 300, s);
    w.putName(n(target));
    w.commit();
    return *this;
  }
  Response& a(const char* owner, uint8_t last, dns::Section s) {
    w.startRecord(n(owner), qtype::A, 1, 300, s);
    w.putBytes(std::vector<uint8_t>{192, 0, 2, last});
    w.commit();
    return *this;
  }
  Response& soa(const char* zone) {
    w.startRecord(n(zone), qtype::SOA, 1, 3600, dns::Section::Authority);
    w.putName(n("ns.test."));
    w.putName(n("hostmaster.test."));
    for (uint32_t v : {1u, 2u, 3u, 4u, 60u}) w.putU32(v);
    w.commit();
    return *this;
  }
};

Cut cutAt(const char* zone) {
  Cut c;
  c.zone = n(zone);
  return c;
}

}  // namespace

TEST_CASE("a referral caches the delegation and in-bailiwick glue only") {
  RecordCache cache({});
  Response r("www.example.test.", qtype::A, false);
  r.name("example.test.", qtype::NS, "ns1.example.test.", dns::Section::Authority)
      .name("example.test.", qtype::NS, "ns.elsewhere.org.", dns::Section::Authority)
      .a("ns1.example.test.", 1, dns::Section::Additional)
      .a("ns.elsewhere.org.", 66, dns::Section::Additional);  // outside test.: not believed
  Step s = classify(r.buf, cutAt("test."), n("www.example.test."), qtype::A, 12, cache, 0);
  REQUIRE(s.kind == Step::Kind::Referral);
  CHECK(s.cut.zone == n("example.test."));
  CHECK(s.cut.nsNames.size() == 2);
  REQUIRE(s.cut.addresses.size() == 1);
  CHECK(s.cut.addresses[0].toString() == "192.0.2.1");
  auto glue = cache.get(n("ns1.example.test."), qtype::A, 0);
  REQUIRE(glue);
  CHECK(glue->rank == Rank::Glue);
  CHECK_FALSE(cache.get(n("ns.elsewhere.org."), qtype::A, 0));
  CHECK(cache.get(n("example.test."), qtype::NS, 0)->rank == Rank::Referral);
}

TEST_CASE("AAAA glue gives IPv6 server addresses") {
  RecordCache cache({});
  Response r("www.v6.test.", qtype::A, false);
  r.name("v6.test.", qtype::NS, "ns.v6.test.", dns::Section::Authority);
  r.w.startRecord(n("ns.v6.test."), qtype::AAAA, 1, 300, dns::Section::Additional);
  r.w.putBytes(std::vector<uint8_t>{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  r.w.commit();
  Step s = classify(r.buf, cutAt("test."), n("www.v6.test."), qtype::A, 12, cache, 0);
  REQUIRE(s.kind == Step::Kind::Referral);
  CHECK(cache.get(n("ns.v6.test."), qtype::AAAA, 0)->rank == Rank::Glue);
  if (serverAddress(qtype::AAAA, std::vector<uint8_t>(16))) {  // the host has IPv6
    REQUIRE(s.cut.addresses.size() == 1);
    CHECK(s.cut.addresses[0].isV6());
    CHECK(s.cut.addresses[0].toString() == "2001:db8::1");
    CHECK(s.cut.addresses[0].port() == 53);
  }
}

TEST_CASE("a referral sideways or upwards is lame") {
  RecordCache cache({});
  Response r("www.example.test.", qtype::A, false);
  r.name("example.test.", qtype::NS, "ns1.example.test.", dns::Section::Authority);
  Step s = classify(r.buf, cutAt("example.test."), n("www.example.test."), qtype::A, 12, cache, 0);
  CHECK(s.kind == Step::Kind::Lame);
  Response up("www.example.test.", qtype::A, false);
  up.name("test.", qtype::NS, "ns.test.", dns::Section::Authority);
  s = classify(up.buf, cutAt("example.test."), n("www.example.test."), qtype::A, 12, cache, 0);
  CHECK(s.kind == Step::Kind::Lame);
}

TEST_CASE("a DS question referred to the zone it names is lame: DS is the parent's") {
  RecordCache cache({});
  Response r("example.test.", qtype::DS, false);
  r.name("example.test.", qtype::NS, "ns1.example.test.", dns::Section::Authority);
  Step s = classify(r.buf, cutAt("test."), n("example.test."), qtype::DS, 12, cache, 0);
  CHECK(s.kind == Step::Kind::Lame);
  // Any other type follows the referral; so does a DS of a name further down.
  s = classify(r.buf, cutAt("test."), n("example.test."), qtype::A, 12, cache, 0);
  CHECK(s.kind == Step::Kind::Referral);
  Response deeper("sub.example.test.", qtype::DS, false);
  deeper.name("example.test.", qtype::NS, "ns1.example.test.", dns::Section::Authority);
  s = classify(deeper.buf, cutAt("test."), n("sub.example.test."), qtype::DS, 12, cache, 0);
  CHECK(s.kind == Step::Kind::Referral);
}

TEST_CASE("answers: CNAME chain inside the bailiwick, records outside ignored") {
  RecordCache cache({});
  Response r("www.example.test.", qtype::A, true);
  r.name("www.example.test.", qtype::CNAME, "web.example.test.", dns::Section::Answer)
      .a("web.example.test.", 5, dns::Section::Answer)
      .a("www.victim.test.", 66, dns::Section::Answer);
  Step s = classify(r.buf, cutAt("example.test."), n("www.example.test."), qtype::A, 12, cache, 0);
  REQUIRE(s.kind == Step::Kind::Answer);
  CHECK(s.records.size() == 2);
  CHECK(cache.get(n("web.example.test."), qtype::A, 0)->rank == Rank::AuthAnswer);
  CHECK_FALSE(cache.get(n("www.victim.test."), qtype::A, 0));

  Response out("www.example.test.", qtype::A, true);
  out.name("www.example.test.", qtype::CNAME, "www.other.test.", dns::Section::Answer)
      .a("www.other.test.", 66, dns::Section::Answer);
  s = classify(out.buf, cutAt("example.test."), n("www.example.test."), qtype::A, 12, cache, 0);
  REQUIRE(s.kind == Step::Kind::Cname);
  CHECK(s.next == n("www.other.test."));
  CHECK_FALSE(cache.get(n("www.other.test."), qtype::A, 0));
}

TEST_CASE("NXDOMAIN with a CNAME out of the zone: the chain is followed, nothing denied") {
  RecordCache cache({});
  Response r("x.evil.test.", qtype::A, true, 3);
  r.name("x.evil.test.", qtype::CNAME, "www.victim.test.", dns::Section::Answer).soa("evil.test.");
  Step s = classify(r.buf, cutAt("evil.test."), n("x.evil.test."), qtype::A, 12, cache, 0);
  REQUIRE(s.kind == Step::Kind::Cname);
  CHECK(s.next == n("www.victim.test."));
  CHECK_FALSE(cache.get(n("www.victim.test."), RecordCache::kNxType, 0));
  CHECK_FALSE(cache.get(n("x.evil.test."), RecordCache::kNxType, 0));
  // Inside the zone the rcode holds for the chain's last name.
  Response in("x.evil.test.", qtype::A, true, 3);
  in.name("x.evil.test.", qtype::CNAME, "y.evil.test.", dns::Section::Answer).soa("evil.test.");
  s = classify(in.buf, cutAt("evil.test."), n("x.evil.test."), qtype::A, 12, cache, 0);
  REQUIRE(s.kind == Step::Kind::NxDomain);
  CHECK(cache.get(n("y.evil.test."), RecordCache::kNxType, 0));
}

TEST_CASE("a CNAME loop inside one answer ends at the chain bound") {
  RecordCache cache({});
  Response r("a.loop.test.", qtype::A, true);
  r.name("a.loop.test.", qtype::CNAME, "b.loop.test.", dns::Section::Answer)
      .name("b.loop.test.", qtype::CNAME, "a.loop.test.", dns::Section::Answer);
  Step s = classify(r.buf, cutAt("loop.test."), n("a.loop.test."), qtype::A, 12, cache, 0);
  CHECK(s.kind == Step::Kind::Fail);
}

TEST_CASE("DNAME: the CNAME is synthesised") {
  RecordCache cache({});
  Response r("www.old.test.", qtype::A, true);
  r.name("old.test.", qtype::DNAME, "new.test.", dns::Section::Answer);
  Step s = classify(r.buf, cutAt("test."), n("www.old.test."), qtype::A, 12, cache, 0);
  REQUIRE(s.kind == Step::Kind::Cname);
  CHECK(s.next == n("www.new.test."));
  REQUIRE(s.records.size() == 2);
  CHECK(s.records[1].type == qtype::CNAME);
}

TEST_CASE("NXDOMAIN and NODATA are cached with the SOA's negative TTL") {
  RecordCache cache({});
  Response nx("nope.example.test.", qtype::A, true, 3);
  nx.soa("example.test.");
  Step s =
      classify(nx.buf, cutAt("example.test."), n("nope.example.test."), qtype::A, 12, cache, 0);
  REQUIRE(s.kind == Step::Kind::NxDomain);
  REQUIRE(s.soa);
  CHECK(s.soa->ttl == 60);
  auto e = cache.get(n("nope.example.test."), RecordCache::kNxType, 0);
  REQUIRE(e);
  CHECK(e->ttl == 60);

  Response nodata("www.example.test.", qtype::AAAA, true);
  nodata.soa("example.test.");
  s = classify(nodata.buf, cutAt("example.test."), n("www.example.test."), qtype::AAAA, 12, cache,
               0);
  REQUIRE(s.kind == Step::Kind::NoData);
  CHECK(cache.get(n("www.example.test."), qtype::AAAA, 0)->kind == EntryKind::NoData);

  Response lame("www.example.test.", qtype::AAAA, false);  // no AA, no SOA, no referral
  s = classify(lame.buf, cutAt("example.test."), n("www.example.test."), qtype::AAAA, 12, cache, 0);
  CHECK(s.kind == Step::Kind::Lame);
}

TEST_CASE("the NXDOMAIN of a minimised question is not cached") {
  RecordCache cache({});
  Response nx("x.example.test.", qtype::A, true, 3);
  nx.soa("example.test.");
  Step s =
      classify(nx.buf, cutAt("example.test."), n("x.example.test."), qtype::A, 12, cache, 0, true);
  CHECK(s.kind == Step::Kind::NxDomain);
  CHECK_FALSE(cache.get(n("x.example.test."), RecordCache::kNxType, 0));
}

TEST_CASE("a priming answer caches the root's NS set and its servers' addresses as glue") {
  RecordCache cache({});
  Response r(".", qtype::NS, true);
  r.name(".", qtype::NS, "a.root-servers.net.", dns::Section::Answer)
      .a("a.root-servers.net.", 1, dns::Section::Additional)
      .a("unlisted.example.", 2, dns::Section::Additional);
  Step s = classify(r.buf, cutAt("."), Name(), qtype::NS, 12, cache, 0);
  REQUIRE(s.kind == Step::Kind::Answer);
  CHECK(cache.get(Name(), qtype::NS, 0)->rank == Rank::AuthAnswer);
  CHECK(cache.get(n("a.root-servers.net."), qtype::A, 0)->rank == Rank::Glue);
  CHECK_FALSE(cache.get(n("unlisted.example."), qtype::A, 0));
}

TEST_CASE("ancestor keeps the last labels") {
  CHECK(ancestor(n("a.b.c.test."), 2) == n("c.test."));
  CHECK(ancestor(n("a.b.c.test."), 0) == Name());
  CHECK(ancestor(n("test."), 5) == n("test."));
}
