// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/dnssec/validator.hh"

#include <doctest.h>

#include "backends/resolver/dnssec/crypto.hh"
#include "backends/resolver/dnssec/test_util.hh"
#include "dns/types.hh"

using namespace ballast;
using namespace ballast::backends::resolver::dnssec;
using namespace ballast::backends::resolver::dnssec::testing;

namespace {

Validator at(int64_t now) {
  ValidatorOptions o;
  o.now = [now] { return now; };
  return Validator(o);
}

/// A published example: the zone's key, the signed RRset, its RRSIG, and a time inside the
/// signature's validity.
struct Vector {
  const char* name;
  const char* key;
  const char* rrset;
  const char* rrsig;
  int64_t now;
};

// RFC 5702 6.1 and 6.2, RFC 6605 6.1 and 6.2, RFC 8080 6.1 (as corrected by erratum 4935:
// labels 2 and the algorithm field; the published signatures did not verify).
const Vector kVectors[] = {
    {"RSA/SHA-256 (RFC 5702)",
     "example.net. 3600 IN DNSKEY 256 3 8 ( AwEAAcFcGsaxxdgiuuGmCkVImy4h99CqT7jwY3pexPGcnUFtR2Fh"
     "36BponcwtkZ4cAgtvd4Qs8PkxUdp6p/DlUmObdk= )",
     "www.example.net. 3600 IN A 192.0.2.91",
     "www.example.net. 3600 IN RRSIG A 8 3 3600 20300101000000 ( 20000101000000 9033 example.net. "
     "kRCOH6u7l0QGy9qpC9l1sLncJcOKFLJ7GhiUOibu4teYp5VE9RncriShZNz85mwlMgNEacFYK/lPtPiVYP4bwg== )",
     1600000000},
    {"RSA/SHA-512 (RFC 5702)",
     "example.net. 3600 IN DNSKEY 256 3 10 ( AwEAAdHoNTOW+et86KuJOWRDp1pndvwb6Y83nSVXXyLA3DLroRO"
     "UkN6X0O6pnWnjJQujX/AyhqFDxj13tOnD9u/1kTg7cV6rklMrZDtJCQ5PCl/D7QNPsgVsMu1J2Q8gpMpztNFLpPBz1"
     "bWXjDtaR7ZQBlZ3PFY12ZTSncorffcGmhOL )",
     "www.example.net. 3600 IN A 192.0.2.91",
     "www.example.net. 3600 IN RRSIG A 10 3 3600 20300101000000 ( 20000101000000 3740 example.net. "
     "tsb4wnjRUDnB1BUi+t6TMTXThjVnG+eCkWqjvvjhzQL1d0YRoOe0CbxrVDYd0xDtsuJRaeUw1ep94PzEWzr0iGYgZB"
     "Wm/zpq+9fOuagYJRfDqfReKBzMweOLDiNa8iP5g9vMhpuv6OPlvpXwm9Sa9ZXIbNl1MBGk0fthPgxdDLw= )",
     1600000000},
    {"ECDSA P-256 (RFC 6605)",
     "example.net. 3600 IN DNSKEY 257 3 13 ( GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edb"
     " krSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA== )",
     "www.example.net. 3600 IN A 192.0.2.1",
     "www.example.net. 3600 IN RRSIG A 13 3 3600 ( 20100909100439 20100812100439 55648 example.net."
     " qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXA yGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw== )",
     1282000000},
    {"ECDSA P-384 (RFC 6605)",
     "example.net. 3600 IN DNSKEY 257 3 14 ( xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1"
     " w/egsXvSADtNJhyem5RCOpgQ6K8X1DRSEkrbYQ+OB+v8 /uX45NBwY8rp65F6Glur8I/mlVNgF6W/qTI37m40 )",
     "www.example.net. 3600 IN A 192.0.2.1",
     "www.example.net. 3600 IN RRSIG A 14 3 3600 ( 20100909102025 20100812102025 10771 example.net."
     " /L5hDKIvGDyI1fcARX3z65qrmPsVz73QD1Mr5CEqOiLP 95hxQouuroGCeZOvzFaxsT8Glr74hbavRKayJNuydCuz"
     " WTSSPdz7wnqXL5bdcJzusdnI0RSMROxxwGipWcJm )",
     1282000000},
    {"Ed25519 key 1 (RFC 8080)",
     "example.com. 3600 IN DNSKEY 257 3 15 ( l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4= )",
     "example.com. 3600 IN MX 10 mail.example.com.",
     "example.com. 3600 IN RRSIG MX 15 2 3600 ( 1440021600 1438207200 3613 example.com. ( "
     "oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M3e23mRZ9VrbpMngwcrqNAg== ) )",
     1439000000},
    {"Ed25519 key 2 (RFC 8080)",
     "example.com. 3600 IN DNSKEY 257 3 15 ( zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs= )",
     "example.com. 3600 IN MX 10 mail.example.com.",
     "example.com. 3600 IN RRSIG MX 15 2 3600 ( 1440021600 1438207200 35217 example.com. ( "
     "zXQ0bkYgQTEFyfLyi9QoiY6D8ZdYo4wyUhVioYZXFdT410QPRITQSqJSnzQoSm5poJ7gD7AQR0O7KuI5k2pcBg== ) )",
     1439000000},
};

const Vector kEd448[] = {
    {"Ed448 key 1 (RFC 8080)",
     "example.com. 3600 IN DNSKEY 257 3 16 ( 3kgROaDjrh0H2iuixWBrc8g2EpBBLCdGzHmn+G2MpTPhpj/OiBVHH"
     "SfPodx1FYYUcJKm1MDpJtIA )",
     "example.com. 3600 IN MX 10 mail.example.com.",
     "example.com. 3600 IN RRSIG MX 16 2 3600 ( 1440021600 1438207200 9713 example.com. ( "
     "3cPAHkmlnxcDHMyg7vFC34l0blBhuG1qpwLmjInI8w1CMB29FkEAIJUA0amxWndkmnBZ6SKiwZSAxGILn/NBtOXft0+"
     "Gj7FSvOKxE/07+4RQvE581N3Aj/JtIyaiYVdnYtyMWbSNyGEY2213WKsJlwEA ) )",
     1439000000},
    {"Ed448 key 2 (RFC 8080)",
     "example.com. 3600 IN DNSKEY 257 3 16 ( kkreGWoccSDmUBGAe7+zsbG6ZAFQp+syPmYUurBRQc3tDjeMCJcVM"
     "RDmgcNLp5HlHAMy12VoISsA )",
     "example.com. 3600 IN MX 10 mail.example.com.",
     "example.com. 3600 IN RRSIG MX 16 2 3600 ( 1440021600 1438207200 38353 example.com. ( "
     "E1/oLjSGIbmLny/4fcgM1z4oL6aqo+izT3urCyHyvEp4Sp8Syg1eI+lJ57CSnZqjJP41O/9l4m0AsQ4f7qI1gVnML8v"
     "WWiyW2KXhT9kuAICUSxv5OWbf81Rq7Yu60npabODB0QFPb/rkW3kUZmQ0YQUA ) )",
     1439000000},
};

void checkVector(const Vector& v) {
  CAPTURE(v.name);
  auto keys = rdatasOf(v.key);
  RRset rrset = rrsetOf(v.rrset);
  auto sigs = rdatasOf(v.rrsig);
  dns::Name zone = parseRecord(v.key).owner;
  RRsetInfo info;
  Verdict ok = at(v.now).verifyRRset(rrset, sigs, zone, keys, &info);
  CHECK(toString(ok.security) == std::string("secure"));
  CHECK(info.ttl == 3600);
  CHECK_FALSE(info.wildcard);

  // The same data in other letter cases: the canonical form lowercases it.
  RRset upper = rrset;
  upper.owner = dns::Name::fromString(
      upper.owner.toString() == "example.com." ? "EXAMPLE.Com." : "WWW.Example.NET.");
  if (upper.type == dns::qtype::MX) {
    upper = rrsetOf("EXAMPLE.Com. 3600 IN MX 10 MAIL.example.COM.");
  }
  CHECK(at(v.now).verifyRRset(upper, sigs, zone, keys).secure());

  // One bit of the data or of the signature changed.
  RRset changed = rrset;
  changed.rdatas[0].back() ^= 1;
  Verdict bad = at(v.now).verifyRRset(changed, sigs, zone, keys);
  CHECK(bad.bogus());
  CHECK(bad.ede == ede::DnssecBogus);
  auto badSig = sigs;
  badSig[0].back() ^= 1;
  CHECK(at(v.now).verifyRRset(rrset, badSig, zone, keys).ede == ede::DnssecBogus);
}

}  // namespace

TEST_CASE("published RRSIG vectors verify, and fail when changed") {
  for (const auto& v : kVectors) checkVector(v);
}

TEST_CASE("Ed448 vectors (RFC 8080 6.2) when OpenSSL has Ed448") {
  if (!algorithmSupported(alg::Ed448)) {
    MESSAGE("this OpenSSL has no Ed448: algorithm 16 is unsupported (insecure)");
    return;
  }
  for (const auto& v : kEd448) checkVector(v);
}

TEST_CASE("validity window: expired, not yet valid, serial arithmetic") {
  const Vector& v = kVectors[2];  // P-256: valid 1281607479 .. 1284026679
  auto keys = rdatasOf(v.key);
  RRset rrset = rrsetOf(v.rrset);
  auto sigs = rdatasOf(v.rrsig);
  dns::Name zone = dns::Name::fromString("example.net.");
  CHECK(at(1284026679).verifyRRset(rrset, sigs, zone, keys).secure());  // last second
  Verdict late = at(1284026680).verifyRRset(rrset, sigs, zone, keys);
  CHECK(late.bogus());
  CHECK(late.ede == ede::SignatureExpired);
  Verdict early = at(1281607478).verifyRRset(rrset, sigs, zone, keys);
  CHECK(early.ede == ede::SignatureNotYetValid);
  // RRSIG TTL: capped by the time left to expiration.
  RRsetInfo info;
  REQUIRE(at(1284026679 - 100).verifyRRset(rrset, sigs, zone, keys, &info).secure());
  CHECK(info.ttl == 100);

  // A signature across the 2106 wrap of the 32-bit field.
  TestKey k;
  RRset a = rrsetOf("w.example. 300 IN A 192.0.2.1");
  auto sig = k.sign(a, dns::Name::fromString("example."), 0xffffff00u, 0x100u);
  std::vector<std::vector<uint8_t>> key{k.dnskey()}, s{sig};
  CHECK(
      at(int64_t(0x100000010)).verifyRRset(a, s, dns::Name::fromString("example."), key).secure());
  CHECK(at(int64_t(0x100000200)).verifyRRset(a, s, dns::Name::fromString("example."), key).ede ==
        ede::SignatureExpired);
}

TEST_CASE("RRSIG checks: signer, type, labels, missing signatures, unknown keys") {
  const Vector& v = kVectors[4];  // Ed25519, example.com. MX
  auto keys = rdatasOf(v.key);
  RRset rrset = rrsetOf(v.rrset);
  auto sigs = rdatasOf(v.rrsig);
  dns::Name zone = dns::Name::fromString("example.com.");
  Validator val = at(v.now);

  Verdict none = val.verifyRRset(rrset, {}, zone, keys);
  CHECK(none.ede == ede::RrsigsMissing);
  // Another zone's signature (the signer is not the zone the caller expects).
  CHECK(val.verifyRRset(rrset, sigs, dns::Name::fromString("com."), keys).bogus());
  // The RRSIG covers MX; the RRset is presented as NS.
  RRset ns = rrset;
  ns.type = dns::qtype::NS;
  CHECK(val.verifyRRset(ns, sigs, zone, keys).bogus());
  // No key with that tag: DNSKEY missing.
  auto other = rdatasOf(kVectors[5].key);
  CHECK(val.verifyRRset(rrset, sigs, zone, other).ede == ede::DnskeyMissing);
  // A key without the ZONE bit, or with REVOKE, does not count.
  auto noZone = keys;
  noZone[0][0] = 0;
  noZone[0][1] = 1;
  CHECK(val.verifyRRset(rrset, sigs, zone, noZone).ede == ede::DnskeyMissing);
  // An algorithm we do not implement.
  auto alg200 = sigs;
  alg200[0][2] = 200;
  CHECK(val.verifyRRset(rrset, alg200, zone, keys).ede == ede::UnsupportedDnskeyAlgorithm);
  // Labels above the owner's count.
  auto labels = sigs;
  labels[0][3] = 3;
  CHECK(val.verifyRRset(rrset, labels, zone, keys).bogus());
  // One good signature among bad ones is enough.
  auto mixed = alg200;
  mixed.push_back(sigs[0]);
  CHECK(val.verifyRRset(rrset, mixed, zone, keys).secure());
}

TEST_CASE("canonical form: RR order, duplicates, original TTL, wildcard expansion") {
  TestKey k;
  dns::Name zone = dns::Name::fromString("example.");
  std::vector<std::vector<uint8_t>> keys{k.dnskey()};
  Validator val = at(1000);
  RRset a = rrsetOf(
      "w.example. 300 IN A 192.0.2.2\n"
      "w.example. 300 IN A 192.0.2.1\n"
      "w.example. 300 IN A 10.0.0.1\n");
  std::vector<std::vector<uint8_t>> sig{k.sign(a, zone, 0, 2000)};
  RRset reordered = a;
  std::swap(reordered.rdatas[0], reordered.rdatas[2]);
  reordered.rdatas.push_back(reordered.rdatas[0]);  // a duplicate, as some servers send
  reordered.ttl = 17;                               // counted down by a cache
  RRsetInfo info;
  CHECK(val.verifyRRset(reordered, sig, zone, keys, &info).secure());
  CHECK(info.ttl == 17);
  RRset fewer = a;
  fewer.rdatas.pop_back();
  CHECK(val.verifyRRset(fewer, sig, zone, keys).bogus());

  // A wildcard: signed at *.example. (labels 1), answered as x.y.example.
  RRset wild = rrsetOf("*.example. 300 IN TXT \"hello\"");
  std::vector<std::vector<uint8_t>> wsig{k.sign(wild, zone, 0, 2000)};
  RRset expanded = wild;
  expanded.owner = dns::Name::fromString("x.Y.example.");
  REQUIRE(val.verifyRRset(expanded, wsig, zone, keys, &info).secure());
  CHECK(info.wildcard);
  CHECK(info.wildcardLabels == 1);
  // The wildcard owner itself is not an expansion.
  REQUIRE(val.verifyRRset(wild, wsig, zone, keys, &info).secure());
  CHECK_FALSE(info.wildcard);
  // An answer outside the zone is refused even with a valid signature shape.
  RRset outside = expanded;
  outside.owner = dns::Name::fromString("x.other.");
  CHECK(val.verifyRRset(outside, wsig, zone, keys).bogus());
}

TEST_CASE("signature verification attempts are bounded per RRset") {
  TestKey k;
  dns::Name zone = dns::Name::fromString("example.");
  RRset a = rrsetOf("w.example. 300 IN A 192.0.2.1");
  auto good = k.sign(a, zone, 0, 2000);
  std::vector<std::vector<uint8_t>> sigs;
  for (int i = 0; i < 10; ++i) {
    auto bad = good;
    bad.back() ^= uint8_t(i + 1);
    sigs.push_back(bad);
  }
  sigs.push_back(good);
  std::vector<std::vector<uint8_t>> keys{k.dnskey()};
  Verdict v = at(1000).verifyRRset(a, sigs, zone, keys);
  CHECK(v.bogus());
  CHECK(std::string(v.reason) == "too many signature verifications");
}

TEST_CASE("worst() combines the parts of an answer") {
  Verdict s = secure(), i = insecure(ede::kNone, "opt-out"),
          b1 = bogus(ede::SignatureExpired, "first"), b2 = bogus(ede::DnssecBogus, "second");
  CHECK(state(worst(s, s)) == "secure");
  CHECK(state(worst(s, i)) == "insecure");
  CHECK(state(worst(i, s)) == "insecure");
  CHECK(state(worst(Verdict{}, s)) == "indeterminate");
  CHECK(state(worst(Verdict{}, i)) == "insecure");
  Verdict all = worst(worst(worst(s, b1), i), b2);
  CHECK(state(all) == "bogus");
  CHECK(all.ede == ede::SignatureExpired);
}
