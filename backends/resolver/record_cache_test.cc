// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/record_cache.hh"

#include <doctest.h>

#include "dns/types.hh"

using namespace ballast::backends::resolver;
using ballast::dns::Name;
namespace qtype = ballast::dns::qtype;

namespace {
std::vector<std::vector<uint8_t>> addr(uint8_t last) {
  return {{192, 0, 2, last}};
}
}  // namespace

TEST_CASE("an authoritative answer replaces glue; glue never replaces an answer") {
  RecordCache c({});
  Name n = Name::fromString("ns1.Example.test.");
  c.putRRset(n, qtype::A, 300, Rank::Glue, addr(1), 0);
  auto e = c.get(Name::fromString("NS1.example.TEST."), qtype::A, 0);
  REQUIRE(e);
  CHECK(e->rank == Rank::Glue);
  CHECK_FALSE(answersClients(e->rank));
  c.putRRset(n, qtype::A, 300, Rank::AuthAnswer, addr(2), 10);
  c.putRRset(n, qtype::A, 300, Rank::Glue, addr(66), 20);
  e = c.get(n, qtype::A, 20);
  REQUIRE(e);
  CHECK(e->rank == Rank::AuthAnswer);
  CHECK(e->rdatas == addr(2));
  CHECK(e->ttl == 290);
}

TEST_CASE("entries expire, TTLs are capped, expired glue can be replaced") {
  CacheLimits limits;
  limits.maxTtl = 100;
  limits.maxNegativeTtl = 30;
  RecordCache c(limits);
  Name n = Name::fromString("www.example.test.");
  c.putRRset(n, qtype::A, 86400, Rank::AuthAnswer, addr(1), 0);
  CHECK(c.get(n, qtype::A, 99));
  CHECK_FALSE(c.get(n, qtype::A, 100));
  c.putRRset(n, qtype::A, 50, Rank::Glue, addr(9), 100);  // the answer is gone: glue may sit
  CHECK(c.get(n, qtype::A, 120)->rank == Rank::Glue);
  c.putNegative(n, qtype::AAAA, EntryKind::NoData, 3600, std::nullopt, Rank::AuthAnswer, 0);
  CHECK(c.get(n, qtype::AAAA, 29)->kind == EntryKind::NoData);
  CHECK_FALSE(c.get(n, qtype::AAAA, 30));
  CHECK(c.size() == 2);
  CHECK(c.purgeExpired(1000) == 2);
  CHECK(c.size() == 0);
}

TEST_CASE("NXDOMAIN covers every type of a name; zero TTLs are not stored") {
  RecordCache c({});
  Name n = Name::fromString("nx.example.test.");
  c.putNegative(n, qtype::A, EntryKind::NxDomain, 60, std::nullopt, Rank::AuthAnswer, 0);
  auto e = c.get(n, RecordCache::kNxType, 1);
  REQUIRE(e);
  CHECK(e->kind == EntryKind::NxDomain);
  CHECK_FALSE(c.get(n, qtype::A, 1));
  c.putRRset(Name::fromString("zero.test."), qtype::A, 0, Rank::AuthAnswer, addr(1), 0);
  CHECK(c.size() == 1);
}

TEST_CASE("the cache holds at most maxEntries") {
  CacheLimits limits;
  limits.maxEntries = RecordCache::kShards * 2;
  RecordCache c(limits);
  for (int i = 0; i < 1000; ++i)
    c.putRRset(Name::fromString("n" + std::to_string(i) + ".test."), qtype::A, 60, Rank::AuthAnswer,
               addr(1), 0);
  CHECK(c.size() <= limits.maxEntries);
  CHECK(c.size() > 0);
}

TEST_CASE("an entry keeps its RRSIGs, proofs and validation verdict; new data resets it") {
  RecordCache c({});
  Name n = Name::fromString("www.secure.test.");
  Signatures sigs;
  sigs.rrsigs.push_back({0, 1, 13, 3});
  sigs.proofs.push_back({Name::fromString("secure.test."), qtype::NSEC, 3600, {0, 6}});
  c.putRRset(n, qtype::A, 300, Rank::AuthAnswer, addr(1), 0, sigs);
  auto e = c.get(n, qtype::A, 0);
  REQUIRE(e);
  CHECK_FALSE(e->validated);
  CHECK(e->sigs.rrsigs.size() == 1);
  REQUIRE(e->sigs.proofs.size() == 1);
  CHECK(e->sigs.proofs[0].ttl == 300);  // never outlives the entry
  c.setVerdict(n, qtype::A, dnssec::bogus(dnssec::ede::SignatureExpired, "expired"), 60, 10);
  e = c.get(n, qtype::A, 10);
  REQUIRE(e);
  CHECK(e->validated);
  CHECK(e->verdict.bogus());
  CHECK(e->verdict.ede == dnssec::ede::SignatureExpired);
  CHECK(e->ttl == 60);  // bogus data is kept briefly
  CHECK_FALSE(c.get(n, qtype::A, 71));
  // Fresh data of the same rank replaces the entry and its verdict.
  c.putRRset(n, qtype::A, 300, Rank::AuthAnswer, addr(2), 80);
  e = c.get(n, qtype::A, 80);
  REQUIRE(e);
  CHECK_FALSE(e->validated);
  CHECK(e->sigs.empty());
  // A verdict for an absent entry is dropped.
  c.setVerdict(Name::fromString("absent.test."), qtype::A, dnssec::secure(), 60, 80);
  CHECK_FALSE(c.get(Name::fromString("absent.test."), qtype::A, 80));
}
