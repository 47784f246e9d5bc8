// SPDX-License-Identifier: GPL-2.0-only
#include <doctest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/policy.hh"
#include "core/runtime_config.hh"
#include "dns/name.hh"
#include "dns/types.hh"
#include "dns/writer.hh"

using namespace ballast;
using namespace ballast::core;

namespace {

class Fake : public Backend {
 public:
  Fake(std::string name, int weight, uint32_t outstanding = 0)
      : Backend(std::move(name), 1, weight), outstanding_(outstanding) {}
  std::string addressString() const override { return name(); }
  void start() override {}
  void stop() override {}
  bool submit(Query&, const Completion&) override { return true; }
  uint32_t outstanding() const override { return outstanding_; }
  uint32_t outstanding_;
};

/// A parsed query for `name`, kept alive with its buffer.
struct TestQuery {
  std::vector<uint8_t> buf;
  QueryContext q;
  explicit TestQuery(const std::string& name) {
    dns::MessageWriter w(buf, 1, dns::Name::fromString(name), dns::qtype::A);
    q.packet = buf.data();
    q.length = buf.size();
    q.capacity = buf.size();
    bool ok = dns::MessageView::parse({buf.data(), buf.size()}, q.message) == dns::ParseError::None;
    REQUIRE(ok);
  }
};

struct Servers {
  std::vector<std::unique_ptr<Fake>> owned;
  std::vector<Backend*> list;
  Fake& add(const std::string& name, int weight, uint32_t outstanding = 0) {
    owned.push_back(std::make_unique<Fake>(name, weight, outstanding));
    list.push_back(owned.back().get());
    return *owned.back();
  }
};

std::string nameOf(Backend* b) {
  return b ? b->name() : "none";
}

}  // namespace

TEST_CASE("makePolicy knows every policy name") {
  for (const char* n : policyNames()) {
    auto p = makePolicy(n);
    REQUIRE(p);
    CHECK(p->name() == n);
  }
  CHECK(makePolicy("nonsense") == nullptr);
}

TEST_CASE("pickWeighted shares by weight among up servers") {
  Servers s;
  s.add("a", 1);
  s.add("b", 3);
  auto& c = s.add("c", 5);
  c.setAdmin(Backend::Admin::Down);
  std::map<std::string, int> counts;
  for (uint64_t r = 0; r < 4000; ++r) counts[nameOf(pickWeighted(s.list, r))]++;
  CHECK(counts["c"] == 0);
  CHECK(counts["none"] == 0);
  CHECK(counts["a"] + counts["b"] == 4000);
  CHECK(counts["b"] > 2700);  // 3/4 of 4000 = 3000, mixed input: not exact
  CHECK(counts["b"] < 3300);
  s.owned[0]->setAdmin(Backend::Admin::Down);
  s.owned[1]->setAdmin(Backend::Admin::Down);
  CHECK(pickWeighted(s.list, 7) == nullptr);
}

TEST_CASE("wrandom only picks up servers") {
  Servers s;
  s.add("a", 1).setAdmin(Backend::Admin::Down);
  s.add("b", 1);
  TestQuery q("x.example.");
  auto p = makePolicy("wrandom");
  for (int i = 0; i < 50; ++i) CHECK(nameOf(p->select(s.list, q.q)) == "b");
}

TEST_CASE("whashed: same name same server, case-insensitive, perturbation reshuffles") {
  Servers s;
  for (int i = 0; i < 4; ++i) s.add("s" + std::to_string(i), 1);
  auto p = makePolicy("whashed");
  auto p7 = makePolicy("whashed", PolicySettings{.hashPerturbation = 7});
  int moved = 0;
  for (int i = 0; i < 200; ++i) {
    std::string n = "name" + std::to_string(i) + ".example.";
    TestQuery a(n), b(n), upper("NAME" + std::to_string(i) + ".EXAMPLE.");
    Backend* first = p->select(s.list, a.q);
    CHECK(first == p->select(s.list, b.q));
    CHECK(first == p->select(s.list, upper.q));
    if (p7->select(s.list, a.q) != first) ++moved;
  }
  CHECK(moved > 50);  // another seed, another spread (3/4 expected to move)
}

TEST_CASE("chashed: stable, and a down server only moves its own names") {
  Servers s;
  s.add("s0", 1);
  auto& s1 = s.add("s1", 1);
  s.add("s2", 1);
  auto p = makePolicy("chashed");
  std::map<std::string, Backend*> before;
  std::map<std::string, int> spread;
  for (int i = 0; i < 600; ++i) {
    std::string n = "n" + std::to_string(i) + ".example.";
    TestQuery q(n);
    before[n] = p->select(s.list, q.q);
    spread[nameOf(before[n])]++;
    CHECK(before[n] == p->select(s.list, q.q));
  }
  for (auto& [name, count] : spread) CHECK(count > 120);  // about 200 each
  s1.setAdmin(Backend::Admin::Down);
  for (auto& [n, was] : before) {
    TestQuery q(n);
    Backend* now = p->select(s.list, q.q);
    CHECK(now != &s1);
    if (was != &s1) CHECK(now == was);
  }
}

TEST_CASE("chashed: weight draws a proportional share") {
  Servers s;
  s.add("light", 1);
  s.add("heavy", 3);
  auto p = makePolicy("chashed");
  int heavy = 0;
  for (int i = 0; i < 2000; ++i) {
    TestQuery q("w" + std::to_string(i) + ".example.");
    heavy += p->select(s.list, q.q)->name() == "heavy";
  }
  CHECK(heavy > 1350);  // 1500 expected
  CHECK(heavy < 1650);
}

TEST_CASE("chashed balancing factor passes over a loaded server") {
  Servers s;
  auto& busy = s.add("busy", 1, 100);
  s.add("idle", 1, 0);
  auto off = makePolicy("chashed");
  auto bounded = makePolicy("chashed", PolicySettings{.consistentHashBalancing = 1.5});
  int offBusy = 0;
  for (int i = 0; i < 100; ++i) {
    TestQuery q("b" + std::to_string(i) + ".example.");
    offBusy += off->select(s.list, q.q) == &busy;
    // target = (1 + 100) / 2 x 1.5 = 75.75 per unit of weight: busy (100) is over it.
    CHECK(nameOf(bounded->select(s.list, q.q)) == "idle");
  }
  CHECK(offBusy > 20);
}

TEST_CASE("roundrobin: even over up servers; none up: all, unless told to fail") {
  Servers s;
  s.add("a", 1);
  auto& b = s.add("b", 1);
  s.add("c", 1);
  TestQuery q("rr.example.");
  auto p = makePolicy("roundrobin");
  std::map<std::string, int> counts;
  for (int i = 0; i < 300; ++i) counts[nameOf(p->select(s.list, q.q))]++;
  CHECK(counts == std::map<std::string, int>{{"a", 100}, {"b", 100}, {"c", 100}});
  b.setAdmin(Backend::Admin::Down);
  counts.clear();
  for (int i = 0; i < 300; ++i) counts[nameOf(p->select(s.list, q.q))]++;
  CHECK(counts == std::map<std::string, int>{{"a", 150}, {"c", 150}});
  for (auto& o : s.owned) o->setAdmin(Backend::Admin::Down);
  CHECK(p->select(s.list, q.q) != nullptr);
  auto failing = makePolicy("roundrobin", PolicySettings{.roundRobinFailOnNoServer = true});
  CHECK(failing->select(s.list, q.q) == nullptr);
}

TEST_CASE("rebindPolicies remakes global and pool policies with the knobs") {
  RuntimeConfig cfg;
  cfg.policy = makePolicy("roundrobin");
  setPoolPolicy(cfg, "p", makePolicy("roundrobin"));
  cfg.policySettings.roundRobinFailOnNoServer = true;
  auto oldPool = cfg.findPool("p")->policy;
  rebindPolicies(cfg);
  CHECK(cfg.findPool("p")->policy != oldPool);
  Servers s;
  s.add("a", 1).setAdmin(Backend::Admin::Down);
  TestQuery q("x.example.");
  CHECK(cfg.policy->select(s.list, q.q) == nullptr);
  CHECK(cfg.findPool("p")->policy->select(s.list, q.q) == nullptr);
  CHECK(cfg.findPool("p")->servers.empty());
}

TEST_CASE("weighted balancing factor leaves loaded servers out of wrandom and whashed") {
  Servers s;
  s.add("busy", 1, 100);
  s.add("idle", 1, 0);
  TestQuery q("x.example.");
  // Bound: 2 x (1 + 100) / 2 = 101 outstanding per unit of weight: nobody is over it.
  auto loose = makePolicy("wrandom", PolicySettings{.weightedBalancing = 2});
  std::map<std::string, int> counts;
  for (int i = 0; i < 400; ++i) counts[nameOf(loose->select(s.list, q.q))]++;
  CHECK(counts["busy"] > 100);
  // Bound: 1.5 x 101 / 2 = 75.75: busy is over it.
  for (const char* name : {"wrandom", "whashed"}) {
    auto p = makePolicy(name, PolicySettings{.weightedBalancing = 1.5});
    for (int i = 0; i < 100; ++i) {
      TestQuery each("n" + std::to_string(i) + ".example.");
      CHECK(nameOf(p->select(s.list, each.q)) == "idle");
    }
  }
  // Load moves: now idle is the one over the bound.
  s.owned[1]->outstanding_ = 1000;
  auto p = makePolicy("whashed", PolicySettings{.weightedBalancing = 1.5});
  CHECK(nameOf(p->select(s.list, q.q)) == "busy");
}
