// SPDX-License-Identifier: GPL-2.0-only
#include "core/packet_cache.hh"

#include <doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "dns/header.hh"
#include "dns/types.hh"
#include "dns/writer.hh"

using namespace ballast;
using namespace ballast::core;

// Counts every allocation in this test binary, to prove a cache hit makes none. (GCC cannot
// see that these replace the global operators, and takes free() after new for a mismatch.)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
std::atomic<size_t> gAllocations{0};
}
void* operator new(size_t n) {
  ++gAllocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  ++gAllocations;
  return std::malloc(n == 0 ? 1 : n);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

struct Query {
  std::vector<uint8_t> bytes;
  dns::MessageView view;
};

Query makeQuery(const char* name, uint16_t id, uint16_t qtype = dns::qtype::A, bool rd = true,
                bool edns = false, bool dnssecOk = false, std::vector<uint8_t> options = {}) {
  Query q;
  dns::MessageWriter w(q.bytes, id, dns::Name::fromString(name), qtype);
  w.header().setRd(rd);
  if (edns) w.addOpt(1232, dnssecOk, options);
  REQUIRE((dns::MessageView::parse(q.bytes, q.view) == dns::ParseError::None));
  return q;
}

std::vector<uint8_t> makeAnswer(const char* name, uint32_t ttl, uint16_t qtype = dns::qtype::A) {
  std::vector<uint8_t> buf;
  auto n = dns::Name::fromString(name);
  dns::MessageWriter w(buf, 4242, n, qtype);
  w.header().setQr(true);
  w.header().setRd(true);
  w.startRecord(n, qtype, 1, ttl, dns::Section::Answer);
  w.putBytes(std::vector<uint8_t>{192, 0, 2, 1});
  w.commit();
  return buf;
}

/// NXDOMAIN with an SOA whose TTL is `soaTtl` and minimum `minimum`.
std::vector<uint8_t> makeNegative(const char* name, uint32_t soaTtl, uint32_t minimum,
                                  uint8_t rcode = dns::rcode::NXDomain) {
  std::vector<uint8_t> buf;
  auto n = dns::Name::fromString(name);
  dns::MessageWriter w(buf, 4242, n, dns::qtype::A);
  w.header().setQr(true);
  w.header().setRd(true);
  w.header().setRcode(rcode);
  auto zone = dns::Name::fromString("example.");
  w.startRecord(zone, dns::qtype::SOA, 1, soaTtl, dns::Section::Authority);
  w.putName(dns::Name::fromString("ns.example."));
  w.putName(dns::Name::fromString("admin.example."));
  for (uint32_t v : {1u, 3600u, 600u, 86400u}) w.putU32(v);
  w.putU32(minimum);
  w.commit();
  return buf;
}

std::vector<uint8_t> makeRcode(const char* name, uint8_t rcode) {
  std::vector<uint8_t> buf;
  dns::MessageWriter w(buf, 4242, dns::Name::fromString(name), dns::qtype::A);
  w.header().setQr(true);
  w.header().setRcode(rcode);
  return buf;
}

uint32_t firstTtl(const uint8_t* p, size_t len) {
  dns::MessageView m;
  REQUIRE((dns::MessageView::parse({p, len}, m) == dns::ParseError::None));
  return m.begin()->ttl;
}

PacketCacheOptions opts(size_t max, size_t shards = 1) {
  PacketCacheOptions o;
  o.maxEntries = max;
  o.shards = shards;
  return o;
}

struct Lookup {
  PacketCache::Result result;
  std::vector<uint8_t> out;
};

Lookup lookup(PacketCache& c, const Query& q, uint32_t now,
              PacketCache::Stale stale = PacketCache::Stale::No, uint32_t window = 0) {
  Lookup l;
  l.out.resize(4096);
  size_t len = 0;
  l.result = c.lookup(c.makeKey(q.view, false), q.view, now, l.out.data(), l.out.size(), len, stale,
                      window);
  l.out.resize(l.result == PacketCache::Result::Miss ? 0 : len);
  return l;
}

void insert(PacketCache& c, const Query& q, const std::vector<uint8_t>& answer, uint32_t now) {
  c.insert(c.makeKey(q.view, false), answer.data(), answer.size(), now);
}

}  // namespace

TEST_CASE("a hit carries the client's ID and letter case") {
  PacketCache c(opts(100));
  insert(c, makeQuery("www.example.", 1), makeAnswer("www.example.", 300), 1000);
  auto q = makeQuery("WwW.ExAmPle.", 777);
  auto l = lookup(c, q, 1000);
  REQUIRE(l.result == PacketCache::Result::Hit);
  CHECK(dns::HeaderView(l.out.data()).id() == 777);
  CHECK(std::string(l.out.begin() + 12, l.out.begin() + 12 + 14) ==
        std::string(q.bytes.begin() + 12, q.bytes.begin() + 12 + 14));
  CHECK(c.stats.hits.value() == 1);
}

TEST_CASE("the key separates what changes an answer") {
  PacketCache c(opts(100));
  insert(c, makeQuery("a.example.", 1), makeAnswer("a.example.", 300), 0);
  CHECK(lookup(c, makeQuery("a.example.", 2, dns::qtype::AAAA), 0).result ==
        PacketCache::Result::Miss);
  CHECK(lookup(c, makeQuery("a.example.", 2, dns::qtype::A, false), 0).result ==
        PacketCache::Result::Miss);  // RD differs
  CHECK(lookup(c, makeQuery("a.example.", 2, dns::qtype::A, true, true), 0).result ==
        PacketCache::Result::Miss);  // EDNS present
  CHECK(lookup(c, makeQuery("b.example.", 2), 0).result == PacketCache::Result::Miss);
  CHECK(lookup(c, makeQuery("a.example.", 2), 0).result == PacketCache::Result::Hit);

  SUBCASE("DO bit and options split entries, cookies and skipped options do not") {
    auto q = makeQuery("c.example.", 1, dns::qtype::A, true, true, false);
    insert(c, q, makeAnswer("c.example.", 300), 0);
    CHECK(lookup(c, makeQuery("c.example.", 2, dns::qtype::A, true, true, true), 0).result ==
          PacketCache::Result::Miss);
    std::vector<uint8_t> cookie = {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
    CHECK(
        lookup(c, makeQuery("c.example.", 2, dns::qtype::A, true, true, false, cookie), 0).result ==
        PacketCache::Result::Hit);
    std::vector<uint8_t> nsid = {0, 3, 0, 0};
    CHECK(lookup(c, makeQuery("c.example.", 2, dns::qtype::A, true, true, false, nsid), 0).result ==
          PacketCache::Result::Miss);
  }
}

TEST_CASE("TTLs age, and dontAge keeps them") {
  PacketCache c(opts(100));
  insert(c, makeQuery("a.example.", 1), makeAnswer("a.example.", 300), 1000);
  auto l = lookup(c, makeQuery("a.example.", 2), 1100);
  REQUIRE(l.result == PacketCache::Result::Hit);
  CHECK(firstTtl(l.out.data(), l.out.size()) == 200);
  CHECK(lookup(c, makeQuery("a.example.", 2), 1300).result == PacketCache::Result::Miss);

  auto o = opts(100);
  o.dontAge = true;
  PacketCache d(o);
  insert(d, makeQuery("a.example.", 1), makeAnswer("a.example.", 300), 1000);
  l = lookup(d, makeQuery("a.example.", 2), 1100);
  CHECK(firstTtl(l.out.data(), l.out.size()) == 300);
}

TEST_CASE("maxTTL caps and minTTL refuses") {
  auto o = opts(100);
  o.maxTTL = 60;
  o.minTTL = 10;
  PacketCache c(o);
  insert(c, makeQuery("a.example.", 1), makeAnswer("a.example.", 300), 0);
  CHECK(lookup(c, makeQuery("a.example.", 2), 59).result == PacketCache::Result::Hit);
  CHECK(lookup(c, makeQuery("a.example.", 2), 60).result == PacketCache::Result::Miss);
  insert(c, makeQuery("b.example.", 1), makeAnswer("b.example.", 5), 0);
  CHECK(c.stats.ttlTooShorts.value() == 1);
  CHECK(c.entries() == 1);
}

TEST_CASE("negative answers last as the SOA says, capped by maxNegativeTTL") {
  auto o = opts(100);
  o.maxNegativeTTL = 100;
  PacketCache c(o);
  insert(c, makeQuery("x.example.", 1), makeNegative("x.example.", 3600, 30), 0);
  CHECK(lookup(c, makeQuery("x.example.", 2), 29).result == PacketCache::Result::Hit);
  CHECK(lookup(c, makeQuery("x.example.", 2), 30).result == PacketCache::Result::Miss);
  insert(c, makeQuery("y.example.", 1), makeNegative("y.example.", 3600, 3600), 0);
  CHECK(lookup(c, makeQuery("y.example.", 2), 99).result == PacketCache::Result::Hit);
  CHECK(lookup(c, makeQuery("y.example.", 2), 100).result == PacketCache::Result::Miss);
  // Without an SOA there is nothing to say how long: not cached.
  insert(c, makeQuery("z.example.", 1), makeRcode("z.example.", dns::rcode::NXDomain), 0);
  CHECK(lookup(c, makeQuery("z.example.", 2), 0).result == PacketCache::Result::Miss);
}

TEST_CASE("SERVFAIL and REFUSED are kept for temporaryFailureTTL, other rcodes not at all") {
  auto o = opts(100);
  o.temporaryFailureTTL = 5;
  PacketCache c(o);
  insert(c, makeQuery("s.example.", 1), makeRcode("s.example.", dns::rcode::ServFail), 0);
  CHECK(lookup(c, makeQuery("s.example.", 2), 4).result == PacketCache::Result::Hit);
  CHECK(lookup(c, makeQuery("s.example.", 2), 5).result == PacketCache::Result::Miss);
  insert(c, makeQuery("f.example.", 1), makeRcode("f.example.", dns::rcode::FormErr), 0);
  CHECK(lookup(c, makeQuery("f.example.", 2), 0).result == PacketCache::Result::Miss);
}

TEST_CASE("truncated answers are never cached") {
  PacketCache c(opts(100));
  auto a = makeAnswer("t.example.", 300);
  dns::HeaderRef(a.data()).setTc(true);
  insert(c, makeQuery("t.example.", 1), a, 0);
  CHECK(c.entries() == 0);
}

TEST_CASE("stale entries are served only when allowed and inside the window") {
  auto o = opts(100);
  o.staleTTL = 30;
  PacketCache c(o);
  insert(c, makeQuery("a.example.", 1), makeAnswer("a.example.", 60), 0);
  CHECK(lookup(c, makeQuery("a.example.", 2), 100).result == PacketCache::Result::Miss);
  auto l = lookup(c, makeQuery("a.example.", 2), 100, PacketCache::Stale::Allowed, 600);
  REQUIRE(l.result == PacketCache::Result::StaleHit);
  CHECK(firstTtl(l.out.data(), l.out.size()) == 30);
  CHECK(lookup(c, makeQuery("a.example.", 2), 660, PacketCache::Stale::Allowed, 600).result ==
        PacketCache::Result::Miss);
  CHECK(c.stats.staleHits.value() == 1);
  // Purging keeps what may still be served stale.
  CHECK(c.purgeExpired(100, 600) == 0);
  CHECK(c.purgeExpired(660, 600) == 1);
}

TEST_CASE("purgeExpired stops once the cache is down to its cleaning target") {
  PacketCache c(opts(10));
  for (const char* n : {"a.example.", "b.example.", "c.example.", "d.example."})
    insert(c, makeQuery(n, 1), makeAnswer(n, 60), 0);
  CHECK(c.purgeExpired(100, 0, 2) == 2);  // setCacheCleaningPercentage: down to 2 entries
  CHECK(c.entries() == 2);
  CHECK(c.purgeExpired(100, 0) == 2);  // 0: every expired one
}

TEST_CASE("keepStaleData holds expired entries while backends are down") {
  auto o = opts(100);
  o.keepStaleData = true;
  PacketCache c(o);
  insert(c, makeQuery("a.example.", 1), makeAnswer("a.example.", 60), 0);
  c.setBackendsDown(true);
  CHECK(c.purgeExpired(10000, 0) == 0);
  c.setBackendsDown(false);
  CHECK(c.purgeExpired(10000, 0) == 1);
}

TEST_CASE("when full: expired first, then negative, then least recently used") {
  PacketCache c(opts(3));
  insert(c, makeQuery("p1.example.", 1), makeAnswer("p1.example.", 300), 0);
  insert(c, makeQuery("p2.example.", 1), makeAnswer("p2.example.", 300), 0);
  insert(c, makeQuery("n1.example.", 1), makeNegative("n1.example.", 300, 300), 0);
  // A flood of negative answers only ever replaces negative answers.
  for (int i = 0; i < 50; ++i) {
    std::string name = "flood" + std::to_string(i) + ".example.";
    insert(c, makeQuery(name.c_str(), 1), makeNegative(name.c_str(), 300, 300), 1);
  }
  CHECK(c.entries() == 3);
  CHECK(lookup(c, makeQuery("p1.example.", 2), 2).result == PacketCache::Result::Hit);
  CHECK(lookup(c, makeQuery("p2.example.", 2), 2).result == PacketCache::Result::Hit);
  CHECK(lookup(c, makeQuery("flood49.example.", 2), 2).result == PacketCache::Result::Hit);

  SUBCASE("least recently used positive goes when there is no negative") {
    PacketCache d(opts(2));
    insert(d, makeQuery("a.example.", 1), makeAnswer("a.example.", 300), 0);
    insert(d, makeQuery("b.example.", 1), makeAnswer("b.example.", 300), 0);
    lookup(d, makeQuery("a.example.", 2), 1);  // b is now the least recently used
    insert(d, makeQuery("c.example.", 1), makeAnswer("c.example.", 300), 2);
    CHECK(lookup(d, makeQuery("a.example.", 2), 3).result == PacketCache::Result::Hit);
    CHECK(lookup(d, makeQuery("b.example.", 2), 3).result == PacketCache::Result::Miss);
  }
  SUBCASE("an expired entry goes before a fresh negative one") {
    PacketCache d(opts(2));
    insert(d, makeQuery("old.example.", 1), makeAnswer("old.example.", 10), 0);
    insert(d, makeQuery("neg.example.", 1), makeNegative("neg.example.", 300, 300), 0);
    insert(d, makeQuery("new.example.", 1), makeAnswer("new.example.", 300), 20);
    CHECK(lookup(d, makeQuery("neg.example.", 2), 21).result == PacketCache::Result::Hit);
    CHECK(lookup(d, makeQuery("new.example.", 2), 21).result == PacketCache::Result::Hit);
  }
}

TEST_CASE("when full, answers hit since the clock last passed stay") {
  PacketCache c(opts(1000));
  auto name = [](const char* prefix, int i) { return prefix + std::to_string(i) + ".example."; };
  for (int i = 0; i < 1000; ++i)
    insert(c, makeQuery(name("n", i).c_str(), 1), makeAnswer(name("n", i).c_str(), 300), 0);
  for (int i = 0; i < 100; ++i)  // the hot ones
    CHECK(lookup(c, makeQuery(name("n", i).c_str(), 2), 1).result == PacketCache::Result::Hit);
  for (int i = 0; i < 500; ++i)
    insert(c, makeQuery(name("m", i).c_str(), 1), makeAnswer(name("m", i).c_str(), 300), 2);
  CHECK(c.entries() == 1000);
  size_t hot = 0, cold = 0;
  for (int i = 0; i < 1000; ++i) {
    bool hit = lookup(c, makeQuery(name("n", i).c_str(), 2), 3).result == PacketCache::Result::Hit;
    (i < 100 ? hot : cold) += hit;
  }
  CHECK(hot == 100);
  CHECK(cold < 900);  // the room for the new names came from the cold ones
}

TEST_CASE("entries stay reachable while others around them are removed") {
  PacketCache c(opts(300));
  auto name = [](int i) { return "r" + std::to_string(i) + ".example."; };
  for (int i = 0; i < 300; ++i)
    insert(c, makeQuery(name(i).c_str(), 1), makeAnswer(name(i).c_str(), 300), 0);
  CHECK(c.entries() == 300);
  for (int i = 1; i < 300; i += 2)
    CHECK(c.expungeByName(dns::Name::fromString(name(i)), dns::qtype::A, false) == 1);
  CHECK(c.entries() == 150);
  for (int i = 0; i < 300; ++i) {
    auto r = lookup(c, makeQuery(name(i).c_str(), 2), 1).result;
    CHECK(r == (i % 2 ? PacketCache::Result::Miss : PacketCache::Result::Hit));
  }
  for (int i = 300; i < 450; ++i)
    insert(c, makeQuery(name(i).c_str(), 1), makeAnswer(name(i).c_str(), 300), 1);
  CHECK(c.entries() == 300);
  for (int i = 0; i < 450; ++i) {
    auto r = lookup(c, makeQuery(name(i).c_str(), 2), 2).result;
    CHECK(r == (i < 300 && i % 2 ? PacketCache::Result::Miss : PacketCache::Result::Hit));
  }
  CHECK(c.purgeExpired(1000, 0) == 300);
  CHECK(c.entries() == 0);
}

TEST_CASE("shards spread entries and each holds its share") {
  PacketCache c(opts(1000, 20));
  for (int i = 0; i < 500; ++i) {
    std::string name = "n" + std::to_string(i) + ".example.";
    insert(c, makeQuery(name.c_str(), 1), makeAnswer(name.c_str(), 300), 0);
  }
  CHECK(c.entries() == 500);
  CHECK_FALSE(c.isFull());
  for (int i = 0; i < 500; ++i) {
    std::string name = "n" + std::to_string(i) + ".example.";
    CHECK(lookup(c, makeQuery(name.c_str(), 2), 1).result == PacketCache::Result::Hit);
  }
}

TEST_CASE("expunge, expungeByName and dump") {
  PacketCache c(opts(100));
  insert(c, makeQuery("a.example.", 1), makeAnswer("a.example.", 300), 0);
  insert(c, makeQuery("a.example.", 1, dns::qtype::AAAA),
         makeAnswer("a.example.", 300, dns::qtype::AAAA), 0);
  insert(c, makeQuery("b.sub.example.", 1), makeAnswer("b.sub.example.", 300), 0);
  insert(c, makeQuery("other.test.", 1), makeAnswer("other.test.", 300), 0);
  std::string text;
  CHECK(c.dump(text, 100) == 4);
  CHECK(text.find("b.sub.example. 200 IN A") != std::string::npos);
  CHECK(c.expungeByName(dns::Name::fromString("A.example."), dns::qtype::AAAA, false) == 1);
  CHECK(c.expungeByName(dns::Name::fromString("example."), dns::qtype::ANY, false) == 0);
  CHECK(c.expungeByName(dns::Name::fromString("example."), dns::qtype::ANY, true) == 2);
  CHECK(c.entries() == 1);
  CHECK(c.expunge(0) == 1);
  CHECK(c.entries() == 0);
  CHECK(c.stats.expunged.value() == 4);
}

TEST_CASE("an answer too large for the client's UDP size is a miss") {
  PacketCache c(opts(100));
  std::vector<uint8_t> buf;
  auto n = dns::Name::fromString("big.example.");
  dns::MessageWriter w(buf, 1, n, dns::qtype::TXT);
  w.header().setQr(true);
  w.header().setRd(true);
  for (int i = 0; i < 4; ++i) {
    w.startRecord(n, dns::qtype::TXT, 1, 300, dns::Section::Answer);
    std::vector<uint8_t> txt(200, 'x');
    txt[0] = 199;
    w.putBytes(txt);
    w.commit();
  }
  auto q = makeQuery("big.example.", 1, dns::qtype::TXT);
  insert(c, q, buf, 0);
  CHECK(c.entries() == 1);
  CHECK(lookup(c, q, 1).result == PacketCache::Result::Miss);  // 512 without EDNS
}

TEST_CASE("served TTLs never exceed the entry's lifetime") {
  auto o = opts(100);
  o.maxTTL = 60;
  PacketCache c(o);
  insert(c, makeQuery("a.example.", 1), makeAnswer("a.example.", 300), 0);
  auto l = lookup(c, makeQuery("a.example.", 2), 0);
  CHECK(firstTtl(l.out.data(), l.out.size()) == 60);
  insert(c, makeQuery("x.example.", 1), makeNegative("x.example.", 3600, 30), 0);
  l = lookup(c, makeQuery("x.example.", 2), 10);
  CHECK(firstTtl(l.out.data(), l.out.size()) == 20);  // the SOA: min(TTL, minimum) - age
}

TEST_CASE("a hit allocates nothing") {
  auto o = opts(100, 4);
  o.skipOptions = {3};
  PacketCache c(o);
  std::vector<uint8_t> cookie = {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
  auto q = makeQuery("alloc.example.", 1, dns::qtype::A, true, true, true, cookie);
  c.insert(c.makeKey(q.view, false), makeAnswer("alloc.example.", 300).data(),
           makeAnswer("alloc.example.", 300).size(), 0);
  std::vector<uint8_t> out(4096);
  size_t len = 0;
  size_t before = gAllocations.load();
  PacketCache::Result r = PacketCache::Result::Miss;
  for (int i = 0; i < 100; ++i)
    r = c.lookup(c.makeKey(q.view, false), q.view, 1, out.data(), out.size(), len);
  CHECK(gAllocations.load() == before);
  CHECK(r == PacketCache::Result::Hit);
}

TEST_CASE("ECS splits entries by subnet; parseECS keys on the subnet, not on the scope") {
  // 192.0.2.0/24 and 198.51.100.0/24, scope 0; then 192.0.2.0/24 with a scope of 24.
  std::vector<uint8_t> a = {0, 8, 0, 7, 0, 1, 24, 0, 192, 0, 2};
  std::vector<uint8_t> b = {0, 8, 0, 7, 0, 1, 24, 0, 198, 51, 100};
  std::vector<uint8_t> aScoped = {0, 8, 0, 7, 0, 1, 24, 24, 192, 0, 2};
  auto q = [](uint16_t id, const std::vector<uint8_t>& o) {
    return makeQuery("ecs.example.", id, dns::qtype::A, true, true, false, o);
  };
  for (bool parse : {false, true}) {
    auto o = opts(100);
    o.parseEcs = parse;
    PacketCache c(o);
    insert(c, q(1, a), makeAnswer("ecs.example.", 300), 0);
    CHECK(lookup(c, q(2, a), 0).result == PacketCache::Result::Hit);
    CHECK(lookup(c, q(3, b), 0).result == PacketCache::Result::Miss);
    CHECK(lookup(c, q(4, {}), 0).result == PacketCache::Result::Miss);
    // A client's scope is no part of the subnet it asks for: only parseECS sees that.
    CHECK((lookup(c, q(5, aScoped), 0).result == PacketCache::Result::Hit) == parse);
  }
}
