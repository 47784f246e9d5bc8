// SPDX-License-Identifier: GPL-2.0-only
#include <doctest.h>

#include <chrono>
#include <future>

#include "core/dynblock.hh"
#include "core/dynblock_group.hh"
#include "core/rings.hh"
#include "dns/types.hh"

using namespace ballast;
using namespace ballast::core;

namespace {

constexpr int64_t kSec = 1000000;

RingEntry entry(const char* client, int64_t when, uint8_t rcode = 0,
                uint16_t qtype = dns::qtype::A) {
  RingEntry e;
  e.whenUsec = when;
  e.requestor = Address::parse(client);
  e.qname = dns::Name::fromString("example.com");
  e.qtype = qtype;
  e.rcode = rcode;
  e.size = 100;
  return e;
}

}  // namespace

TEST_CASE("rings keep the last entries of each shard") {
  Rings r(4, 1);
  for (int i = 0; i < 6; ++i) r.insertQuery(entry("192.0.2.1", i));
  std::vector<int64_t> seen;
  r.forEachQuery([&](const RingEntry& e) { seen.push_back(e.whenUsec); });
  CHECK(seen == std::vector<int64_t>{2, 3, 4, 5});
  CHECK_THROWS(Rings(10, 0));
}

TEST_CASE("ring lock retries: an insert goes to another shard while its own is busy") {
  Rings r(100, 4);
  CHECK(r.lockRetries() == 5);
  CHECK(Rings(100, 1).lockRetries() == 0);
  CHECK(r.withLockRetries(7)->lockRetries() == 7);
  CHECK(Rings(100, 1).withLockRetries(7)->lockRetries() == 0);
  auto retrying = r.withLockRetries(4);  // every shard; shares the entries of r
  // The lock of the shard being read is held (forEachQuery's callback runs under it) while
  // another thread inserts: with retries it never waits, whichever shard it starts with.
  r.insertQuery(entry("192.0.2.1", 0));
  bool done = true;
  size_t calls = 0;
  retrying->forEachQuery([&](const RingEntry&) {
    ++calls;
    auto f = std::async(std::launch::async, [&] { retrying->insertQuery(entry("192.0.2.2", 1)); });
    done = done && f.wait_for(std::chrono::seconds(2)) == std::future_status::ready;
  });
  CHECK(done);
  size_t n = 0;
  r.forEachQuery([&](const RingEntry&) { ++n; });
  CHECK(n == calls + 1);  // each call inserted one (some landing in shards visited later)
}

TEST_CASE("name blocks: the closest blocked parent, expiry, excluded domains") {
  DynBlockTable empty;
  auto t = empty.withNames({{dns::Name::fromString("Bad.example."), ""},
                            {dns::Name::fromString("x.other."), "own reason"}},
                           "rule reason", 10 * kSec, DynBlockAction::Refused, 0);
  CHECK(t->hasNames());
  CHECK(t->size() == 0);
  CHECK(t->nameCount() == 2);
  const DynBlock* b = t->findName(dns::Name::fromString("www.bad.EXAMPLE."), kSec);
  REQUIRE(b);
  CHECK(b->network == "bad.example.");
  CHECK(b->reason == "rule reason");
  CHECK(t->findName(dns::Name::fromString("x.other."), kSec)->reason == "own reason");
  CHECK(!t->findName(dns::Name::fromString("other."), kSec));
  CHECK(!t->findName(dns::Name::fromString("example."), kSec));
  CHECK(!t->findName(dns::Name::fromString("www.bad.example."), 10 * kSec));  // expired
  CHECK(t->withoutExpired(11 * kSec)->empty());
  CHECK(!t->withoutExpired(kSec));
  // A shorter block does not replace a longer one; address blocks keep the names.
  auto u = t->withNames({{dns::Name::fromString("bad.example."), ""}}, "short", 2 * kSec,
                        DynBlockAction::Drop, kSec);
  CHECK(u->findName(dns::Name::fromString("bad.example."), kSec)->reason == "rule reason");
  auto v = u->with({{Address::parse("192.0.2.1"), 32}}, "net", 5 * kSec, DynBlockAction::Drop,
                   false, kSec);
  CHECK(v->nameCount() == 2);
  CHECK(v->all().size() == 3);
  DynBlockGroup g;
  g.excludeDomain(dns::Name::fromString("keep.example."));
  CHECK(g.domainExcluded(dns::Name::fromString("a.Keep.example.")));
  CHECK(!g.domainExcluded(dns::Name::fromString("example.")));
}

TEST_CASE("dynamic block table: most specific match, expiry by the clock passed in") {
  DynBlockTable empty;
  CHECK(empty.empty());
  auto t = empty.with({{Address::parse("192.0.2.0"), 24}}, "flood", 10 * kSec,
                      DynBlockAction::Refused, false, 0);
  t = t->with({{Address::parse("192.0.2.7"), 32}}, "one", 5 * kSec, DynBlockAction::Drop, false, 0);
  const DynBlock* b = t->find(Address::parse("192.0.2.7"), 1 * kSec);
  REQUIRE(b);
  CHECK(b->reason == "one");
  CHECK(b->network == "192.0.2.7/32");
  b = t->find(Address::parse("192.0.2.8"), 1 * kSec);
  REQUIRE(b);
  CHECK(b->network == "192.0.2.0/24");
  CHECK(t->find(Address::parse("192.0.3.1"), 1 * kSec) == nullptr);
  CHECK(t->find(Address::parse("2001:db8::1"), 1 * kSec) == nullptr);
  // The /32 ends at 5 s, the /24 at 10 s.
  CHECK(t->find(Address::parse("192.0.2.7"), 6 * kSec)->reason == "flood");
  CHECK(t->find(Address::parse("192.0.2.7"), 10 * kSec) == nullptr);
  CHECK(t->withoutExpired(1 * kSec) == nullptr);
  auto pruned = t->withoutExpired(6 * kSec);
  REQUIRE(pruned);
  CHECK(pruned->all().size() == 1);
  CHECK(t->withoutExpired(11 * kSec)->empty());
}

TEST_CASE("query rate group blocks the flooding client only, then the block expires") {
  Rings rings(10000, 2);
  int64_t now = 100 * kSec;
  for (int i = 0; i < 300; ++i) rings.insertQuery(entry("127.0.0.5", now - i * 1000));
  for (int i = 0; i < 10; ++i) rings.insertQuery(entry("127.0.0.6", now - i * 1000));
  rings.insertQuery(entry("127.0.0.7", now - 20 * kSec));  // outside the window
  DynBlockGroup g;
  DynBlockRate r;
  r.rate = 20;
  r.seconds = 5;
  r.reason = "Exceeded query rate";
  r.blockSeconds = 3;
  r.action = DynBlockAction::Refused;
  g.setQueryRate(r);
  auto d = g.evaluate(rings, now);
  REQUIRE(d.size() == 1);
  CHECK(d[0].network.toString() == "127.0.0.5");
  CHECK(d[0].count == 300);
  auto table = DynBlockGroup::applyDecisions(DynBlockTable{}, d, now);
  REQUIRE(table);
  CHECK(table->find(Address::parse("127.0.0.5"), now + 1 * kSec)->action ==
        DynBlockAction::Refused);
  CHECK(table->find(Address::parse("127.0.0.6"), now + 1 * kSec) == nullptr);
  CHECK(table->find(Address::parse("127.0.0.5"), now + 3 * kSec) == nullptr);  // expired

  SUBCASE("excluded ranges are never blocked") {
    g.excludeRange("127.0.0.0/24");
    CHECK(g.evaluate(rings, now).empty());
  }
  SUBCASE("masks group clients by network") {
    g.setMasks(24, 64);
    auto d2 = g.evaluate(rings, now);
    REQUIRE(d2.size() == 1);
    CHECK(d2[0].count == 310);
    CHECK(d2[0].bits == 24);
  }
}

TEST_CASE("rcode rate and ratio, qtype rate, byte rate, warnings") {
  Rings rings(10000, 1);
  int64_t now = 50 * kSec;
  for (int i = 0; i < 50; ++i)
    rings.insertResponse(entry("10.0.0.1", now - i, dns::rcode::ServFail));
  for (int i = 0; i < 50; ++i)
    rings.insertResponse(entry("10.0.0.2", now - i, i < 10 ? dns::rcode::NXDomain : 0));
  for (int i = 0; i < 30; ++i) rings.insertQuery(entry("10.0.0.3", now - i, 0, dns::qtype::ANY));
  DynBlockRate r;
  r.seconds = 10;
  SUBCASE("rcode rate") {
    DynBlockGroup g;
    r.rate = 2;
    g.setRCodeRate(dns::rcode::ServFail, r);
    auto d = g.evaluate(rings, now);
    REQUIRE(d.size() == 1);
    CHECK(d[0].network.toString() == "10.0.0.1");
  }
  SUBCASE("rcode ratio with a minimum of responses") {
    DynBlockGroup g;
    r.rate = 0.1;  // more than 10% NXDOMAIN
    r.minResponses = 20;
    g.setRCodeRatio(dns::rcode::NXDomain, r);
    auto d = g.evaluate(rings, now);
    REQUIRE(d.size() == 1);
    CHECK(d[0].network.toString() == "10.0.0.2");
    r.minResponses = 60;
    g.setRCodeRatio(dns::rcode::NXDomain, r);
    CHECK(g.evaluate(rings, now).empty());
  }
  SUBCASE("qtype rate") {
    DynBlockGroup g;
    r.rate = 2;
    g.setQTypeRate(dns::qtype::ANY, r);
    auto d = g.evaluate(rings, now);
    REQUIRE(d.size() == 1);
    CHECK(d[0].network.toString() == "10.0.0.3");
  }
  SUBCASE("response byte rate") {
    DynBlockGroup g;
    r.rate = 400;  // 4,000 bytes in 10 s; each client got 5,000
    g.setResponseByteRate(r);
    CHECK(g.evaluate(rings, now).size() == 2);
  }
  SUBCASE("warning rate: a warning block does not replace a real one") {
    DynBlockGroup g;
    r.rate = 100;
    r.warningRate = 2;
    g.setQueryRate(r);
    auto d = g.evaluate(rings, now);
    REQUIRE(d.size() == 1);
    CHECK(d[0].warning);
    auto t = DynBlockGroup::applyDecisions(DynBlockTable{}, d, now);
    CHECK(t->find(Address::parse("10.0.0.3"), now)->warning);
  }
}
