// SPDX-License-Identifier: GPL-2.0-only
// NSEC proofs against the example zone of RFC 4035 Appendix A (its NSEC chain) and the
// responses of Appendix B; NSEC3 proofs against RFC 5155 Appendix A and B.
#include "backends/resolver/dnssec/denial.hh"

#include <doctest.h>

#include "backends/resolver/dnssec/encoding.hh"
#include "backends/resolver/dnssec/test_util.hh"
#include "dns/types.hh"

using namespace ballast;
using namespace ballast::backends::resolver::dnssec;
using namespace ballast::backends::resolver::dnssec::testing;
namespace t = ballast::dns::qtype;

namespace {

/// Each record of `text` as an RRset of its own.
std::vector<RRset> setsOf(std::string_view text) {
  std::vector<RRset> out;
  for (auto& r : parseZoneText(text)) {
    RRset s;
    s.owner = r.owner;
    s.type = r.type;
    s.ttl = r.ttl;
    s.rdatas = {r.rdata};
    out.push_back(s);
  }
  return out;
}

dns::Name N(const char* s) {
  return dns::Name::fromString(s);
}

// RFC 4035 Appendix A: the NSEC chain of the zone "example.".
const char* kNsecChain =
    "example. NSEC a.example. NS SOA MX RRSIG NSEC DNSKEY\n"
    "a.example. NSEC ai.example. NS DS RRSIG NSEC\n"
    "ai.example. NSEC b.example. A HINFO AAAA RRSIG NSEC\n"
    "b.example. NSEC ns1.example. NS RRSIG NSEC\n"
    "ns1.example. NSEC ns2.example. A RRSIG NSEC\n"
    "ns2.example. NSEC *.w.example. A RRSIG NSEC\n"
    "*.w.example. NSEC x.w.example. MX RRSIG NSEC\n"
    "x.w.example. NSEC x.y.w.example. MX RRSIG NSEC\n"
    "x.y.w.example. NSEC xx.example. MX RRSIG NSEC\n"
    "xx.example. NSEC example. A HINFO AAAA RRSIG NSEC\n";

/// The records of kNsecChain owned by the listed names.
std::vector<RRset> nsecs(std::initializer_list<const char*> owners) {
  std::vector<RRset> out;
  for (auto& s : setsOf(kNsecChain)) {
    for (const char* o : owners) {
      if (s.owner == N(o)) out.push_back(s);
    }
  }
  REQUIRE(out.size() == owners.size());
  return out;
}

const dns::Name kZone = N("example.");

}  // namespace

TEST_CASE("NSEC NXDOMAIN (RFC 4035 B.2: ml.example.)") {
  Denial d;
  auto proof = nsecs({"b.example.", "example."});
  CHECK(d.nxdomain(N("ml.example."), kZone, proof).secure());
  // Without the wildcard proof, or without the covering NSEC.
  Verdict noWild = d.nxdomain(N("ml.example."), kZone, nsecs({"b.example."}));
  CHECK(noWild.bogus());
  CHECK(noWild.ede == ede::NsecMissing);
  CHECK(d.nxdomain(N("ml.example."), kZone, nsecs({"example."})).bogus());
  // A name that exists, an empty non-terminal, a name below a delegation.
  CHECK(d.nxdomain(N("ns1.example."), kZone, nsecs({"ns1.example.", "example."})).bogus());
  CHECK(d.nxdomain(N("w.example."), kZone, nsecs({"ns2.example.", "example."})).bogus());
  CHECK(d.nxdomain(N("mc.b.example."), kZone, nsecs({"b.example.", "example."})).bogus());
  // Under w.example the wildcard *.w.example exists: no NXDOMAIN below it.
  CHECK(d.nxdomain(N("a.z.w.example."), kZone, nsecs({"x.y.w.example.", "*.w.example."})).bogus());
  // The last NSEC wraps to the apex: zz.example. is covered by xx.example.
  CHECK(d.nxdomain(N("zz.example."), kZone, nsecs({"xx.example.", "example."})).secure());
  // Records of another zone prove nothing here.
  CHECK(d.nxdomain(N("ml.example."), N("other."), proof).bogus());
}

TEST_CASE("NSEC NODATA (RFC 4035 B.3), empty non-terminals and wildcard NODATA (B.7)") {
  Denial d;
  CHECK(d.nodata(N("ns1.example."), t::MX, kZone, nsecs({"ns1.example."})).secure());
  CHECK(d.nodata(N("ns1.example."), t::A, kZone, nsecs({"ns1.example."})).bogus());
  // w.example. is an empty non-terminal: the NSEC before it points below it.
  CHECK(d.nodata(N("w.example."), t::A, kZone, nsecs({"ns2.example."})).secure());
  // a.z.w.example. AAAA: no such name, and the wildcard *.w.example. has no AAAA.
  auto wild = nsecs({"x.y.w.example.", "*.w.example."});
  CHECK(d.nodata(N("a.z.w.example."), t::AAAA, kZone, wild).secure());
  CHECK(d.nodata(N("a.z.w.example."), t::MX, kZone, wild).bogus());
  // A delegation's NSEC (parent side) proves only the absence of DS.
  CHECK(d.nodata(N("b.example."), t::A, kZone, nsecs({"b.example."})).bogus());
  CHECK(d.nodata(N("b.example."), t::DS, kZone, nsecs({"b.example."})).secure());
  // DS denied by the child's own apex NSEC (SOA bit) does not count.
  CHECK(d.nodata(N("example."), t::DS, kZone, nsecs({"example."})).bogus());
}

TEST_CASE("NSEC wildcard answer (RFC 4035 B.6) and insecure delegation (B.5)") {
  Denial d;
  // a.z.w.example. MX answered from *.w.example. (RRSIG labels 2).
  CHECK(d.wildcardAnswer(N("a.z.w.example."), 2, kZone, nsecs({"x.y.w.example."})).secure());
  CHECK(d.wildcardAnswer(N("a.z.w.example."), 2, kZone, nsecs({"b.example."})).bogus());
  // x.w.example. exists: an answer for a.x.w.example. cannot come from *.w.example.
  CHECK(d.wildcardAnswer(N("a.x.w.example."), 2, kZone, nsecs({"x.w.example."})).bogus());

  Verdict unsigned_ = d.insecureDelegation(N("b.example."), kZone, nsecs({"b.example."}));
  CHECK(unsigned_.secure());
  // a.example. has a DS: a referral without it is bogus.
  CHECK(d.insecureDelegation(N("a.example."), kZone, nsecs({"a.example."})).bogus());
  CHECK(d.insecureDelegation(N("c.example."), kZone, nsecs({"b.example."})).bogus());
  CHECK(d.insecureDelegation(N("b.example."), kZone, {}).ede == ede::NsecMissing);
}

// ---- NSEC3 ----

TEST_CASE("NSEC3 hashes of the RFC 5155 Appendix A zone") {
  struct {
    const char* name;
    const char* hash;
  } v[] = {
      {"example.", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"},
      {"a.example.", "35mthgpgcu1qg68fab165klnsnk3dpvl"},
      {"ai.example.", "gjeqe526plbf1g8mklp59enfd789njgi"},
      {"ns1.example.", "2t7b4g4vsa5smi47k61mv5bv1a22bojr"},
      {"ns2.example.", "q04jkcevqvmu85r014c7dkba38o0ji5r"},
      {"w.example.", "k8udemvp1j2f7eg6jebps17vp3n8i58h"},
      {"*.w.example.", "r53bq7cc2uvmubfu5ocmm6pers9tk9en"},
      {"x.w.example.", "b4um86eghhds6nea196smvmlo4ors995"},
      {"y.w.example.", "ji6neoaepv8b5o6k4ev33abha8ht9fgc"},
      {"x.y.w.example.", "2vptu5timamqttgl4luu9kg21e0aor3s"},
      {"xx.example.", "t644ebqk9bibcna874givr6joj62mlhv"},
      {"2t7b4g4vsa5smi47k61mv5bv1a22bojr.example.", "kohar7mbb8dc2ce8a9qvl8hon4k53uhi"},
      {"A.EXAMPLE.", "35mthgpgcu1qg68fab165klnsnk3dpvl"},
  };
  const uint8_t salt[] = {0xaa, 0xbb, 0xcc, 0xdd};
  for (const auto& c : v) {
    CAPTURE(c.name);
    uint8_t h[20];
    nsec3Hash(N(c.name), salt, 12, h);
    CHECK(toBase32Hex(h) == c.hash);
  }
}

namespace {

// The NSEC3 records of RFC 5155 Appendix A used by the responses of Appendix B. All carry
// the opt-out flag, as in the RFC's zone.
const char* kNsec3 =
    "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example. NSEC3 1 1 12 aabbccdd ( "
    "2t7b4g4vsa5smi47k61mv5bv1a22bojr MX DNSKEY NS SOA NSEC3PARAM RRSIG )\n"
    "2t7b4g4vsa5smi47k61mv5bv1a22bojr.example. NSEC3 1 1 12 aabbccdd ( "
    "2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG )\n"
    "35mthgpgcu1qg68fab165klnsnk3dpvl.example. NSEC3 1 1 12 aabbccdd ( "
    "b4um86eghhds6nea196smvmlo4ors995 NS DS RRSIG )\n"
    "b4um86eghhds6nea196smvmlo4ors995.example. NSEC3 1 1 12 aabbccdd ( "
    "gjeqe526plbf1g8mklp59enfd789njgi MX RRSIG )\n"
    "ji6neoaepv8b5o6k4ev33abha8ht9fgc.example. NSEC3 1 1 12 aabbccdd ( "
    "k8udemvp1j2f7eg6jebps17vp3n8i58h )\n"
    "k8udemvp1j2f7eg6jebps17vp3n8i58h.example. NSEC3 1 1 12 aabbccdd ( "
    "kohar7mbb8dc2ce8a9qvl8hon4k53uhi )\n"
    "q04jkcevqvmu85r014c7dkba38o0ji5r.example. NSEC3 1 1 12 aabbccdd ( "
    "r53bq7cc2uvmubfu5ocmm6pers9tk9en A RRSIG )\n"
    "r53bq7cc2uvmubfu5ocmm6pers9tk9en.example. NSEC3 1 1 12 aabbccdd ( "
    "t644ebqk9bibcna874givr6joj62mlhv MX RRSIG )\n";

/// The NSEC3 records whose hashed owner starts with one of `prefixes`; `optOut` false
/// clears the flag, as in a zone signed without opt-out.
std::vector<RRset> nsec3s(std::initializer_list<const char*> prefixes, bool optOut = true) {
  std::vector<RRset> out;
  for (auto& s : setsOf(kNsec3)) {
    for (const char* p : prefixes) {
      if (s.owner.toString().rfind(p, 0) == 0) {
        if (!optOut) s.rdatas[0][1] = 0;
        out.push_back(s);
      }
    }
  }
  REQUIRE(out.size() == prefixes.size());
  return out;
}

}  // namespace

TEST_CASE("NSEC3 name error (RFC 5155 B.1: a.c.x.w.example.)") {
  Denial d;
  // Covers the next closer c.x.w.example., matches the closest encloser x.w.example.,
  // covers the wildcard *.x.w.example.
  auto plain = nsec3s({"0p9m", "b4um", "35mt"}, false);
  CHECK(d.nxdomain(N("a.c.x.w.example."), kZone, plain).secure());
  // As published, the next closer's span is opt-out: an unsigned delegation could exist.
  Verdict optOut = d.nxdomain(N("a.c.x.w.example."), kZone, nsec3s({"0p9m", "b4um", "35mt"}));
  CHECK(state(optOut) == "insecure");
  // Any of the three missing.
  CHECK(d.nxdomain(N("a.c.x.w.example."), kZone, nsec3s({"0p9m", "b4um"}, false)).ede ==
        ede::NsecMissing);
  CHECK(d.nxdomain(N("a.c.x.w.example."), kZone, nsec3s({"b4um", "35mt"}, false)).bogus());
  CHECK(d.nxdomain(N("a.c.x.w.example."), kZone, nsec3s({"0p9m", "35mt"}, false)).bogus());
  // An existing name.
  CHECK(d.nxdomain(N("x.w.example."), kZone, plain).bogus());
}

TEST_CASE("NSEC3 NODATA (B.2), empty non-terminal (B.2.1), wildcard NODATA (B.5)") {
  Denial d;
  CHECK(d.nodata(N("ns1.example."), t::MX, kZone, nsec3s({"2t7b"})).secure());
  CHECK(d.nodata(N("ns1.example."), t::A, kZone, nsec3s({"2t7b"})).bogus());
  CHECK(d.nodata(N("y.w.example."), t::A, kZone, nsec3s({"ji6n"})).secure());
  // a.z.w.example. AAAA: encloser w.example., next closer z.w.example. covered, wildcard
  // *.w.example. has MX only.
  auto wild = nsec3s({"k8ud", "q04j", "r53b"}, false);
  CHECK(d.nodata(N("a.z.w.example."), t::AAAA, kZone, wild).secure());
  CHECK(d.nodata(N("a.z.w.example."), t::MX, kZone, wild).bogus());
  CHECK(state(d.nodata(N("a.z.w.example."), t::AAAA, kZone, nsec3s({"k8ud", "q04j", "r53b"}))) ==
        "insecure");
  // RFC 5155 B.6 is the child's answer to "example. DS" (its apex NSEC3, SOA bit set). A
  // validator asks the parent for DS (RFC 4035 4.2) and does not take the child's word.
  CHECK(d.nodata(N("example."), t::DS, kZone, nsec3s({"0p9m"})).bogus());
}

TEST_CASE("NSEC3 wildcard expansion (B.4) and opt-out referral (B.3)") {
  Denial d;
  CHECK(d.wildcardAnswer(N("a.z.w.example."), 2, kZone, nsec3s({"q04j"}, false)).secure());
  CHECK(state(d.wildcardAnswer(N("a.z.w.example."), 2, kZone, nsec3s({"q04j"}))) == "insecure");
  CHECK(d.wildcardAnswer(N("a.z.w.example."), 2, kZone, nsec3s({"0p9m"}, false)).bogus());
  // mc.c.example. referred to c.example., an unsigned delegation in an opt-out span: the
  // encloser example. matches, the next closer c.example. is covered by an opt-out NSEC3.
  auto referral = nsec3s({"35mt", "0p9m"});
  CHECK(state(d.insecureDelegation(N("c.example."), kZone, referral)) == "insecure");
  CHECK(d.insecureDelegation(N("c.example."), kZone, nsec3s({"35mt", "0p9m"}, false)).bogus());
  // a.example. has a DS: its own NSEC3 shows it.
  CHECK(d.insecureDelegation(N("a.example."), kZone, nsec3s({"35mt"})).bogus());
}

TEST_CASE("NSEC3 iteration limit (RFC 9276) and unusable records") {
  Denial strict(10);
  Verdict v = strict.nodata(N("ns1.example."), t::MX, kZone, nsec3s({"2t7b"}));
  CHECK(state(v) == "insecure");
  CHECK(v.ede == ede::UnsupportedNsec3Iterations);
  // Unknown hash algorithm or flags: ignored, so nothing is proven.
  auto alg = nsec3s({"2t7b"});
  alg[0].rdatas[0][0] = 2;
  CHECK(Denial().nodata(N("ns1.example."), t::MX, kZone, alg).ede == ede::NsecMissing);
  auto flags = nsec3s({"2t7b"});
  flags[0].rdatas[0][1] = 0x80;
  CHECK(Denial().nodata(N("ns1.example."), t::MX, kZone, flags).bogus());
}

TEST_CASE("NSEC3 in the root zone: the apex can be the closest encloser") {
  // One NSEC3 whose next hash is its own covers every other hash (the chain wraps at once).
  uint8_t h[20];
  nsec3Hash(dns::Name(), {}, 0, h);
  std::string text =
      toBase32Hex(h) + ". NSEC3 1 0 0 - " + toBase32Hex(h) + " NS SOA RRSIG DNSKEY NSEC3PARAM";
  auto records = setsOf(text);
  Denial d;
  CHECK(d.nxdomain(N("no-such-tld."), dns::Name(), records).secure());
  CHECK(d.nodata(dns::Name(), t::A, dns::Name(), records).secure());
  CHECK(d.nodata(dns::Name(), t::SOA, dns::Name(), records).bogus());
  // The same shape one level down.
  nsec3Hash(N("example."), {}, 0, h);
  text = toBase32Hex(h) + ".example. NSEC3 1 0 0 - " + toBase32Hex(h) + " NS SOA RRSIG DNSKEY";
  CHECK(d.nxdomain(N("a.b.example."), kZone, setsOf(text)).secure());
}
