// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/dnssec/trust_anchors.hh"

#include <doctest.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>

#include <unistd.h>

#include "backends/resolver/dnssec/records.hh"
#include "backends/resolver/dnssec/validator.hh"
#include "backends/resolver/dnssec/zone_text.hh"

using namespace ballast;
using namespace ballast::backends::resolver::dnssec;

namespace {

dns::Name N(const char* s) {
  return dns::Name::fromString(s);
}

std::string errorOf(const char* text) {
  try {
    TrustAnchors t;
    t.addText(text, "anchors.txt");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

// The root KSKs as published in the root zone.
const char* kKsk2017 =
    ". 172800 IN DNSKEY 257 3 8 "
    "AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7Hrx"
    "RixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrj"
    "yBxWezF0jLHwVN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uT"
    "IdsIXxuOLYA4/"
    "ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU=";
const char* kKsk2024 =
    ". 172800 IN DNSKEY 257 3 8 "
    "AwEAAa96jeuknZlaeSrvyAJj6ZHv28hhOKkx3rLGXVaC6rXTsDc449/cidltpkyGwCJNn"
    "OAlFNKF2jBosZBU5eeHspaQWOmOElZsjICMQMC3aeHbGiShvZsx4wMYSjH8e7Vrhbu6irwCzVBApESjbUdpWWmEnhathWu"
    "1"
    "jo+siFUiRAAxm9qyJNg/wOZqqzL/dL/q8PkcRU5oUKEpUge71M3ej2/7CPqpdVwuMoTvoB+ZOT4YeGyxMvHmbrxlFzGOHO"
    "ijtzN+u1TQNatX2XBuzZNQ1K+s2CXkPIZo7s6JgZyvaBevYtxPvYLw4z9mR7K2vaF18UYH9Z9GNUUeayffKC73PYc=";

}  // namespace

TEST_CASE("built-in root anchors match the root KSK-2017 and KSK-2024") {
  TrustAnchors t = TrustAnchors::builtIn();
  const TrustAnchor* root = t.find(dns::Name());
  REQUIRE(root != nullptr);
  REQUIRE(root->ds.size() == 2);
  CHECK(root->dnskeys.empty());
  auto k17 = parseRecord(kKsk2017), k24 = parseRecord(kKsk2024);
  CHECK(keyTag(k17.rdata) == 20326);
  CHECK(keyTag(k24.rdata) == 38696);
  CHECK(Validator::dsMatches(k17.owner, k17.rdata, root->ds[0]));
  CHECK(Validator::dsMatches(k24.owner, k24.rdata, root->ds[1]));
  CHECK_FALSE(Validator::dsMatches(k17.owner, k17.rdata, root->ds[1]));
  // Every name falls under the root anchor.
  CHECK(t.closest(N("www.example.com.")) == root);
}

TEST_CASE("anchor text: DS and DNSKEY lines, comments, unbound's root.key format") {
  TrustAnchors t;
  std::string rootKey = std::string("; autotrust trust anchor file\n;;id: . 1\n") + kKsk2017 +
                        " ;{id = 20326 (ksk), size = 2048b} ;;state=2 [ VALID ]\n";
  t.addText(rootKey, "root.key");
  REQUIRE(t.find(dns::Name()) != nullptr);
  CHECK(t.find(dns::Name())->dnskeys.size() == 1);
  t.addText(
      "Example.COM. IN DS 3613 15 2 ( 3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79\n"
      "     a304b )\n"
      "sub.example.com. 3600 DNSKEY 257 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=\n",
      "more.txt");
  CHECK(t.all().size() == 3);
  CHECK(t.find(N("example.com."))->ds.size() == 1);
  CHECK(t.closest(N("a.sub.example.com."))->zone == N("sub.example.com."));
  CHECK(t.closest(N("www.example.com."))->zone == N("example.com."));
  CHECK(t.closest(N("www.example.net."))->zone == dns::Name());
  CHECK(t.find(N("net.")) == nullptr);
}

TEST_CASE("anchor errors name the source and line") {
  CHECK(errorOf("; nothing\n") == "anchors.txt: no DS or DNSKEY record");
  CHECK(errorOf(". IN DS 20326 8 2 E06D\nexample. IN A 192.0.2.1\n") ==
        "anchors.txt:2: trust anchors are DS or DNSKEY records, not A");
  CHECK(errorOf(". IN DS 20326 8 2 XYZ\n") == "anchors.txt:1: bad hex digest");
  CHECK(errorOf(". CH DS 20326 8 2 E06D\n") == "anchors.txt:1: trust anchors are of class IN");
  CHECK(errorOf(". DNSKEY 1 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=\n") ==
        "anchors.txt:1: a DNSKEY anchor must be a zone key (flags 256 or 257, protocol 3)");
  CHECK(errorOf("\n\n. IN DS 20326 8\n") == "anchors.txt:3: missing digest type");
}

TEST_CASE("anchor files") {
  std::string path = "/tmp/ballast-anchor-test-" + std::to_string(::getpid()) + ".key";
  {
    std::ofstream f(path);
    f << ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n";
  }
  TrustAnchors t;
  t.addFile(path);
  CHECK(t.find(dns::Name())->ds.size() == 1);
  std::remove(path.c_str());
  CHECK_THROWS_WITH_AS(t.addFile(path), (path + ": cannot read the trust anchor file").c_str(),
                       std::invalid_argument);
}

TEST_CASE("negative trust anchors cover a zone and what is below it") {
  NegativeTrustAnchors nta;
  CHECK_FALSE(nta.covers(N("example.com.")));
  nta.add(N("Broken.Example."));
  nta.add(N("test."));
  CHECK(nta.covers(N("broken.example.")));
  CHECK(nta.covers(N("www.BROKEN.example.")));
  CHECK(nta.covers(N("a.b.test.")));
  CHECK_FALSE(nta.covers(N("example.")));
  CHECK_FALSE(nta.covers(N("notbroken.example.")));
  CHECK_FALSE(nta.covers(dns::Name()));
  CHECK(nta.size() == 2);
}
