// SPDX-License-Identifier: GPL-2.0-only
#include "dns/canonical.hh"

#include <doctest.h>

#include <vector>

#include "dns/types.hh"

using namespace ballast::dns;

namespace {
std::vector<uint8_t> wireOf(const char* s) {
  const Name n = Name::fromString(s);
  auto w = n.wire();
  return {w.begin(), w.end()};
}
}  // namespace

TEST_CASE("lowercaseRdataNames lowers the names of the listed types only") {
  // MX: preference, then the exchange.
  std::vector<uint8_t> mx = {0, 10};
  auto n = wireOf("Mail.EXAMPLE.com");
  mx.insert(mx.end(), n.begin(), n.end());
  REQUIRE(lowercaseRdataNames(qtype::MX, mx));
  CHECK(mx[3] == 'm');
  CHECK(std::vector<uint8_t>(mx.begin() + 2, mx.end()) == wireOf("mail.example.com"));
  CHECK(mx[1] == 10);

  // SOA: both names, the 20 bytes of numbers untouched (0x41 is 'A').
  std::vector<uint8_t> soa = wireOf("NS1.X");
  auto r = wireOf("Host.X");
  soa.insert(soa.end(), r.begin(), r.end());
  soa.insert(soa.end(), 20, 0x41);
  REQUIRE(lowercaseRdataNames(qtype::SOA, soa));
  CHECK(soa[1] == 'n');
  CHECK(soa.back() == 0x41);

  // NSEC keeps its case (RFC 6840 5.1); TXT has no names.
  std::vector<uint8_t> nsec = wireOf("A.B");
  REQUIRE(lowercaseRdataNames(qtype::NSEC, nsec));
  CHECK(nsec[1] == 'A');
  std::vector<uint8_t> txt = {3, 'A', 'B', 'C'};
  REQUIRE(lowercaseRdataNames(qtype::TXT, txt));
  CHECK(txt[1] == 'A');

  // RRSIG: the signer name after 18 fixed bytes; the signature bytes stay.
  std::vector<uint8_t> sig(18, 0x41);
  auto s = wireOf("EXAMPLE.");
  sig.insert(sig.end(), s.begin(), s.end());
  sig.push_back(0x41);
  REQUIRE(lowercaseRdataNames(qtype::RRSIG, sig));
  CHECK(sig[0] == 0x41);
  CHECK(sig[19] == 'e');
  CHECK(sig.back() == 0x41);
}

TEST_CASE("lowercaseRdataNames rejects names running past the RDATA") {
  std::vector<uint8_t> ns = {5, 'a', 'b'};
  CHECK_FALSE(lowercaseRdataNames(qtype::NS, ns));
  std::vector<uint8_t> mx = {0};
  CHECK_FALSE(lowercaseRdataNames(qtype::MX, mx));
  std::vector<uint8_t> naptr = {0, 1, 0, 2, 1, 'S', 0, 0};  // no replacement name
  CHECK_FALSE(lowercaseRdataNames(qtype::NAPTR, naptr));
  std::vector<uint8_t> naptr2 = {0, 1, 0, 2, 1, 'S', 0, 0, 1, 'X', 0};
  REQUIRE(lowercaseRdataNames(qtype::NAPTR, naptr2));
  CHECK(naptr2[5] == 'S');
  CHECK(naptr2[9] == 'x');
}

TEST_CASE("ancestor, wildcardOf, isWildcard, commonLabels") {
  Name n = Name::fromString("a.b.example.com");
  CHECK(ancestor(n, 2) == Name::fromString("example.com"));
  CHECK(ancestor(n, 0).isRoot());
  CHECK(ancestor(n, 9) == n);
  Name w;
  REQUIRE(wildcardOf(Name::fromString("example.com"), w));
  CHECK(w == Name::fromString("*.example.com"));
  CHECK(isWildcard(w));
  CHECK_FALSE(isWildcard(n));
  CHECK(commonLabels(n, Name::fromString("x.EXAMPLE.com")) == 2);
  CHECK(commonLabels(n, Name::fromString("org")) == 0);
  CHECK(canonicalCompare(Name::fromString("a.example"), Name::fromString("B.example")) < 0);
  CHECK(canonicalCompare(Name::fromString("Z.a.example"), Name::fromString("z.A.example")) == 0);
  CHECK(canonicalCompare(Name::fromString("example"), Name::fromString("a.example")) < 0);
}
