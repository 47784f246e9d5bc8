// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/dnssec/zone_text.hh"

#include <doctest.h>

#include <stdexcept>
#include <string>

#include "backends/resolver/dnssec/records.hh"
#include "dns/types.hh"

using namespace ballast;
using namespace ballast::backends::resolver::dnssec;

TEST_CASE("records across lines, with comments, TTL and class in either order") {
  auto recs = parseZoneText(
      "; a comment line\n"
      "example.com. 3600 IN DNSKEY 257 3 15 ( ; key\n"
      "   l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4= )\n"
      "www.example.com. IN 300 A 192.0.2.1\n"
      "  AAAA 2001:db8::1\n"
      "mx MX 10 mail\n",
      dns::Name::fromString("example.com."));
  REQUIRE(recs.size() == 4);
  CHECK(recs[0].type == dns::qtype::DNSKEY);
  CHECK(recs[0].ttl == 3600);
  CHECK(recs[0].rdata.size() == 4 + 32);
  CHECK(keyTag(recs[0].rdata) == 3613);
  CHECK(recs[1].ttl == 300);
  CHECK(recs[1].line == 4);
  CHECK(recs[1].rdata == std::vector<uint8_t>{192, 0, 2, 1});
  CHECK(recs[2].owner == dns::Name::fromString("www.example.com."));
  CHECK(recs[2].type == dns::qtype::AAAA);
  CHECK(recs[3].owner == dns::Name::fromString("mx.example.com."));
  CHECK(recs[3].rdata.size() == 2 + dns::Name::fromString("mail.example.com.").wireLength());
}

TEST_CASE("RRSIG times, NSEC3 and type bitmaps") {
  uint32_t t = 0;
  REQUIRE(parseRrsigTime("20100909100439", t));
  CHECK(t == 1284026679u);
  REQUIRE(parseRrsigTime("1284026679", t));
  CHECK(t == 1284026679u);
  CHECK_FALSE(parseRrsigTime("20101309100439", t));
  auto r = parseRecord(
      "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example. NSEC3 1 1 12 aabbccdd ("
      " 2t7b4g4vsa5smi47k61mv5bv1a22bojr MX DNSKEY NS SOA NSEC3PARAM RRSIG )");
  Nsec3View n;
  REQUIRE(parseNsec3(r.rdata, n));
  CHECK(n.iterations == 12);
  CHECK(n.optOut());
  CHECK(n.salt.size() == 4);
  CHECK(n.nextHashed.size() == 20);
  CHECK(n.types.has(dns::qtype::MX));
  CHECK(n.types.has(dns::qtype::NSEC3PARAM));
  CHECK_FALSE(n.types.has(dns::qtype::A));
  CHECK_FALSE(n.types.has(dns::qtype::DS));
  auto g = parseRecord("x. TYPE65280 \\# 3 abcdef");
  CHECK(g.rdata == std::vector<uint8_t>{0xab, 0xcd, 0xef});
}

TEST_CASE("errors name the line") {
  auto bad = [](const char* text) -> std::string {
    try {
      parseZoneText(text);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  CHECK(bad("a. A 1.2.3.4\nb. A 1.2.3\n") == "line 2: bad address '1.2.3'");
  CHECK(bad("a. DS 1 8 2 zz\n") == "line 1: bad hex digest");
  CHECK(bad("a. DS 1 8 2 \" \"\n") == "line 1: empty hex digest");
  CHECK(bad("a. NOSUCH 1\n") == "line 1: unknown type 'NOSUCH'");
  CHECK(bad("a. A (\n1.2.3.4\n") == "line 3: unbalanced '('");
  CHECK(bad("a. A 1.2.3.4 5.6.7.8\n") == "line 1: trailing data after the RDATA");
  CHECK(bad("a. 3600 IN DNSKEY 257 3\n") == "line 1: missing algorithm");
}
