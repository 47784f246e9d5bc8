// SPDX-License-Identifier: GPL-2.0-only
// DS digests (RFC 4034 5, RFC 4509, RFC 6605) and DNSKEY RRset validation (RFC 4035 5.2).
#include <doctest.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "backends/resolver/dnssec/crypto.hh"
#include "backends/resolver/dnssec/test_util.hh"
#include "backends/resolver/dnssec/validator.hh"
#include "dns/types.hh"

using namespace ballast;
using namespace ballast::backends::resolver::dnssec;
using namespace ballast::backends::resolver::dnssec::testing;

namespace {

Validator at(int64_t now, bool sha1 = true) {
  ValidatorOptions o;
  o.now = [now] { return now; };
  o.acceptSha1Ds = sha1;
  return Validator(o);
}

std::vector<uint8_t> dsFor(const dns::Name& owner, const std::vector<uint8_t>& dnskey,
                           uint8_t digestType) {
  std::vector<uint8_t> input;
  const dns::Name lower = owner.toLower();
  auto w = lower.wire();
  input.insert(input.end(), w.begin(), w.end());
  input.insert(input.end(), dnskey.begin(), dnskey.end());
  uint16_t tag = keyTag(dnskey);
  std::vector<uint8_t> ds = {uint8_t(tag >> 8), uint8_t(tag), dnskey[3], digestType};
  auto d = dsDigest(digestType, input);
  ds.insert(ds.end(), d.begin(), d.end());
  return ds;
}

/// A zone with a KSK and a ZSK, its DNSKEY RRset signed by the KSK.
struct Zone {
  dns::Name name = dns::Name::fromString("child.example.");
  TestKey ksk{257}, zsk{256};
  RRset dnskeys;
  std::vector<std::vector<uint8_t>> sigs;
  Zone() {
    dnskeys.owner = name;
    dnskeys.type = dns::qtype::DNSKEY;
    dnskeys.ttl = 3600;
    dnskeys.rdatas = {ksk.dnskey(), zsk.dnskey()};
    sigs = {ksk.sign(dnskeys, name, 0, 2000)};
  }
};

}  // namespace

TEST_CASE("DS digests of published keys match (RFC 4034 5.4, RFC 6605 6, RFC 8080 6)") {
  struct {
    const char* key;
    const char* ds;
  } cases[] = {
      {"dskey.example.com. DNSKEY 256 3 5 AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/"
       "2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2"
       "wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==",
       "dskey.example.com. DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118"},
      {"example.net. DNSKEY 257 3 13 "
       "GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+"
       "e+MAnLr+Wi9xMWyQLc8NAA==",
       "example.net. DS 55648 13 2 "
       "b4c8c1fe2e7477127b27115656ad6256f424625bf5c1e2770ce6d6e37df61d17"},
      {"example.net. DNSKEY 257 3 14 "
       "xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1w/egsXvSADtNJhyem5RC"
       "OpgQ6K8X1DRSEkrbYQ+OB+v8/uX45NBwY8rp65F6Glur8I/mlVNgF6W/qTI37m40",
       "example.net. DS 10771 14 4 72d7b62976ce06438e9c0bf319013cf801f09ecc84b8d7e9495f27e305c6a9b0"
       "563a9b5f4d288405c3008a946df983d6"},
      {"example.com. DNSKEY 257 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=",
       "example.com. DS 3613 15 2 "
       "3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b"},
      {"example.com. DNSKEY 257 3 15 zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs=",
       "example.com. DS 35217 15 2 "
       "401781b934e392de492ec77ae2e15d70f6575a1c0bc59c5275c04ebe80c6614c"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.ds);
    auto key = parseRecord(c.key), ds = parseRecord(c.ds);
    CHECK(Validator::dsMatches(key.owner, key.rdata, ds.rdata));
    // The owner's case does not matter; another owner, tag or digest does.
    std::string upper = key.owner.toString();
    for (char& ch : upper) ch = char(std::toupper(static_cast<unsigned char>(ch)));
    CHECK(Validator::dsMatches(dns::Name::fromString(upper), key.rdata, ds.rdata));
    CHECK_FALSE(Validator::dsMatches(dns::Name::fromString("other.example."), key.rdata, ds.rdata));
    auto bad = ds.rdata;
    bad.back() ^= 1;
    CHECK_FALSE(Validator::dsMatches(key.owner, key.rdata, bad));
    bad = ds.rdata;
    bad[1] ^= 1;
    CHECK_FALSE(Validator::dsMatches(key.owner, key.rdata, bad));
  }
}

TEST_CASE("DNSKEY RRset validated from the parent's DS set") {
  Zone z;
  Validator v = at(1000);
  std::vector<std::vector<uint8_t>> ds{dsFor(z.name, z.ksk.dnskey(), digest::Sha256)};
  RRsetInfo info;
  CHECK(v.validateDnskeys(z.dnskeys, z.sigs, ds, {}, &info).secure());
  CHECK(info.keyTag == z.ksk.tag());

  SUBCASE("SHA-384 and, by default, SHA-1 digests") {
    CHECK(v.validateDnskeys(z.dnskeys, z.sigs, {{dsFor(z.name, z.ksk.dnskey(), digest::Sha384)}})
              .secure());
    std::vector<std::vector<uint8_t>> sha1{dsFor(z.name, z.ksk.dnskey(), digest::Sha1)};
    CHECK(v.validateDnskeys(z.dnskeys, z.sigs, sha1).secure());
    Verdict off = at(1000, false).validateDnskeys(z.dnskeys, z.sigs, sha1);
    CHECK(state(off) == "insecure");
    CHECK(off.ede == ede::UnsupportedDsDigestType);
  }
  SUBCASE("a SHA-1 DS is not used when a SHA-256 DS is offered (RFC 4509 3)") {
    auto wrong256 = dsFor(z.name, z.ksk.dnskey(), digest::Sha256);
    wrong256.back() ^= 1;
    std::vector<std::vector<uint8_t>> both{wrong256, dsFor(z.name, z.ksk.dnskey(), digest::Sha1)};
    CHECK(v.validateDnskeys(z.dnskeys, z.sigs, both).ede == ede::DnskeyMissing);
  }
  SUBCASE("no DS matches a key of the set: bogus, DNSKEY missing") {
    TestKey other;
    std::vector<std::vector<uint8_t>> wrong{dsFor(z.name, other.dnskey(), digest::Sha256)};
    Verdict r = v.validateDnskeys(z.dnskeys, z.sigs, wrong);
    CHECK(r.bogus());
    CHECK(r.ede == ede::DnskeyMissing);
  }
  SUBCASE("the DS matches the ZSK, but only the KSK signed the set") {
    std::vector<std::vector<uint8_t>> zskDs{dsFor(z.name, z.zsk.dnskey(), digest::Sha256)};
    CHECK(v.validateDnskeys(z.dnskeys, z.sigs, zskDs).ede == ede::DnskeyMissing);
  }
  SUBCASE("the DNSKEY RRset was changed after signing") {
    RRset changed = z.dnskeys;
    changed.rdatas.push_back(TestKey().dnskey());
    CHECK(v.validateDnskeys(changed, z.sigs, ds).ede == ede::DnssecBogus);
  }
  SUBCASE("expired DNSKEY signature") {
    CHECK(at(3000).validateDnskeys(z.dnskeys, z.sigs, ds).ede == ede::SignatureExpired);
  }
  SUBCASE("unsupported algorithms or digest types only: insecure") {
    auto alg = ds[0];
    alg[2] = 253;  // PRIVATEOID
    Verdict a = v.validateDnskeys(z.dnskeys, z.sigs, {{alg}});
    CHECK(state(a) == "insecure");
    CHECK(a.ede == ede::UnsupportedDnskeyAlgorithm);
    auto dig = ds[0];
    dig[3] = 3;  // GOST R 34.11-94
    Verdict d = v.validateDnskeys(z.dnskeys, z.sigs, {{dig}});
    CHECK(state(d) == "insecure");
    CHECK(d.ede == ede::UnsupportedDsDigestType);
    // One supported DS among unsupported ones: validated through it.
    CHECK(v.validateDnskeys(z.dnskeys, z.sigs, {{alg, dig, ds[0]}}).secure());
  }
  SUBCASE("a revoked key does not validate the set") {
    TestKey revoked(257 | 0x80);
    RRset set = z.dnskeys;
    set.rdatas = {revoked.dnskey(), z.zsk.dnskey()};
    std::vector<std::vector<uint8_t>> sig{revoked.sign(set, z.name, 0, 2000)};
    std::vector<std::vector<uint8_t>> rds{dsFor(z.name, revoked.dnskey(), digest::Sha256)};
    CHECK(v.validateDnskeys(set, sig, rds).ede == ede::DnskeyMissing);
  }
  SUBCASE("no DS and no anchor") {
    CHECK(v.validateDnskeys(z.dnskeys, z.sigs, {}).ede == ede::DnskeyMissing);
  }
}

TEST_CASE("DNSKEY RRset validated from a DNSKEY trust anchor") {
  Zone z;
  Validator v = at(1000);
  std::vector<std::vector<uint8_t>> anchor{z.ksk.dnskey()};
  CHECK(v.validateDnskeys(z.dnskeys, z.sigs, {}, anchor).secure());
  std::vector<std::vector<uint8_t>> other{TestKey().dnskey()};
  CHECK(v.validateDnskeys(z.dnskeys, z.sigs, {}, other).ede == ede::DnskeyMissing);
}

TEST_CASE("DS digest computations are bounded") {
  Zone z;
  // 20 DS records with the KSK's tag and algorithm but wrong digests, then the right one.
  auto good = dsFor(z.name, z.ksk.dnskey(), digest::Sha256);
  std::vector<std::vector<uint8_t>> ds;
  for (int i = 0; i < 20; ++i) {
    auto bad = good;
    bad.back() ^= uint8_t(i + 1);
    ds.push_back(bad);
  }
  ds.push_back(good);
  Verdict v = at(1000).validateDnskeys(z.dnskeys, z.sigs, ds);
  CHECK(v.bogus());
  CHECK(std::string(v.reason) == "too many DS digest computations");
  // The good one first: found before the bound.
  std::rotate(ds.begin(), ds.end() - 1, ds.end());
  CHECK(at(1000).validateDnskeys(z.dnskeys, z.sigs, ds).secure());
}
