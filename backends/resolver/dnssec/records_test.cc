// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/dnssec/records.hh"

#include <doctest.h>

#include "backends/resolver/dnssec/zone_text.hh"
#include "dns/types.hh"

using namespace ballast;
using namespace ballast::backends::resolver::dnssec;

TEST_CASE("key tags of published keys (RFC 4034 B, 5702, 6605, 8080)") {
  struct {
    const char* text;
    uint16_t tag;
  } keys[] = {
      {"dskey.example.com. DNSKEY 256 3 5 AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/"
       "2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2"
       "wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==",
       60485},
      {"example.net. DNSKEY 256 3 8 AwEAAcFcGsaxxdgiuuGmCkVImy4h99CqT7jwY3pexPGcnUFtR2Fh36BponcwtkZ"
       "4cAgtvd4Qs8PkxUdp6p/DlUmObdk=",
       9033},
      {"example.net. DNSKEY 257 3 13 "
       "GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+"
       "e+MAnLr+Wi9xMWyQLc8NAA==",
       55648},
      {"example.com. DNSKEY 257 3 15 zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs=", 35217},
  };
  for (const auto& k : keys) {
    CAPTURE(k.tag);
    auto r = parseRecord(k.text);
    CHECK(keyTag(r.rdata) == k.tag);
  }
}

TEST_CASE("DNSKEY flags: zone, SEP, REVOKE (the REVOKE bit changes the tag)") {
  auto r = parseRecord("example.com. DNSKEY 257 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=");
  DnskeyView k;
  REQUIRE(parseDnskey(r.rdata, k));
  CHECK(k.zoneKey());
  CHECK(k.sep());
  CHECK_FALSE(k.revoked());
  CHECK(k.publicKey.size() == 32);
  uint16_t before = keyTag(r.rdata);
  r.rdata[1] |= 0x80;
  REQUIRE(parseDnskey(r.rdata, k));
  CHECK(k.revoked());
  CHECK(keyTag(r.rdata) == uint16_t(before + 0x80));
  auto z = parseRecord("x. DNSKEY 0 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=");
  REQUIRE(parseDnskey(z.rdata, k));
  CHECK_FALSE(k.zoneKey());
}

TEST_CASE("RRSIG RDATA: fields, signer name, refusals") {
  auto r = parseRecord(
      "www.example.net. RRSIG A 13 3 3600 20100909100439 20100812100439 55648 example.net. "
      "qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw==");
  RrsigView s;
  REQUIRE(parseRrsig(r.rdata, s));
  CHECK(s.typeCovered == dns::qtype::A);
  CHECK(s.algorithm == 13);
  CHECK(s.labels == 3);
  CHECK(s.originalTtl == 3600);
  CHECK(s.expiration == 1284026679u);
  CHECK(s.inception == 1281607479u);
  CHECK(s.keyTag == 55648);
  CHECK(s.signer == dns::Name::fromString("example.net."));
  CHECK(s.signature.size() == 64);
  CHECK(s.signedPart.size() == 18 + 13);
  // Cut inside the signer name, no signature, a compression pointer as signer.
  CHECK_FALSE(parseRrsig(std::span(r.rdata).first(22), s));
  CHECK_FALSE(parseRrsig(std::span(r.rdata).first(31), s));
  auto p = r.rdata;
  p[18] = 0xc0;
  p[19] = 12;
  CHECK_FALSE(parseRrsig(p, s));
}

TEST_CASE("type bitmaps are validated") {
  TypeBitmap b;
  const uint8_t good[] = {0, 1, 0x40, 1, 1, 0x80};  // A; window 1: 256 (URI)
  REQUIRE(parseTypeBitmap(good, b));
  CHECK(b.has(dns::qtype::A));
  CHECK(b.has(256));
  CHECK_FALSE(b.has(dns::qtype::NS));
  const uint8_t order[] = {1, 1, 0x80, 0, 1, 0x40};  // windows out of order
  CHECK_FALSE(parseTypeBitmap(order, b));
  const uint8_t zero[] = {0, 0};
  CHECK_FALSE(parseTypeBitmap(zero, b));
  const uint8_t shortLen[] = {0, 3, 0x40};
  CHECK_FALSE(parseTypeBitmap(shortLen, b));
  CHECK(parseTypeBitmap({}, b));
}

TEST_CASE("serial number arithmetic on validity times (RFC 1982)") {
  CHECK(serialBefore(1, 2));
  CHECK_FALSE(serialBefore(2, 1));
  CHECK_FALSE(serialBefore(5, 5));
  CHECK(serialBefore(0xffffff00u, 0x10));  // wraps in 2106
  CHECK_FALSE(serialBefore(0x10, 0xffffff00u));
}
