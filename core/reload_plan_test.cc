// SPDX-License-Identifier: GPL-2.0-only
// Configuration reload: which running servers and caches a reload keeps, and what
// ReloadStaging::commit publishes, starts and stops.
#include "core/reload_plan.hh"

#include <doctest.h>

#include <atomic>
#include <thread>

#include "core/runtime.hh"

using namespace ballast::core;

namespace {

class KeyedBackend : public Backend {
 public:
  KeyedBackend(std::string name, std::string key, uint32_t inFlight = 0)
      : Backend(std::move(name), 1, 1), inFlight_(inFlight) {
    reloadKey = std::move(key);
  }
  std::string addressString() const override { return "192.0.2.1:53"; }
  void start() override { ++starts; }
  void stop() override { ++stops; }
  bool submit(Query&, const Completion&) override { return false; }
  uint32_t outstanding() const override { return inFlight_.load(); }
  void setInFlight(uint32_t n) { inFlight_ = n; }
  std::atomic<int> starts{0}, stops{0};

 private:
  std::atomic<uint32_t> inFlight_;
};

std::shared_ptr<KeyedBackend> server(const std::string& name, const std::string& key,
                                     std::vector<std::string> pools = {}) {
  auto b = std::make_shared<KeyedBackend>(name, key);
  b->setPools(std::move(pools));
  return b;
}

}  // namespace

TEST_CASE("servers pair by reload key, each running server at most once") {
  auto a = server("a", "k1"), b = server("b", "k2"), c = server("c", "k1");
  std::vector<std::shared_ptr<Backend>> running{a, b, c};
  auto x = server("x", "k1"), y = server("y", "k3"), z = server("z", "k1"), w = server("w", "k1");
  auto m = matchServers(running, {x, y, z, w});
  REQUIRE(m.size() == 4);
  CHECK(m[0] == a);
  CHECK(m[1] == nullptr);
  CHECK(m[2] == c);
  CHECK(m[3] == nullptr);  // both k1 servers are taken
  auto left = unmatchedServers(running, m);
  REQUIRE(left.size() == 1);
  CHECK(left[0] == b);
}

TEST_CASE("an empty reload key never matches") {
  auto a = server("a", ""), x = server("x", "");
  auto m = matchServers({a}, {x});
  CHECK(m[0] == nullptr);
  CHECK(unmatchedServers({a}, m).size() == 1);
}

TEST_CASE("a kept server takes the file's pools, weight, QPS limit and admin state") {
  auto running = server("a", "k", {"old"});
  running->setHealthy(false);
  auto desired = server("a", "k", {"p1", "p2"});
  desired->setWeight(7);
  desired->setQpsLimit(50);
  desired->setAdmin(Backend::Admin::Down);
  adoptAttributes(*running, *desired);
  CHECK(running->pools() == std::vector<std::string>{"p1", "p2"});
  CHECK(running->weight() == 7);
  CHECK(running->qpsLimit() == 50);
  CHECK(running->admin() == Backend::Admin::Down);
  CHECK_FALSE(running->healthy());  // health is the checker's, not the file's
}

TEST_CASE("cache options compare field by field") {
  PacketCacheOptions a;
  a.maxEntries = 100;
  PacketCacheOptions b = a;
  CHECK(sameCacheOptions(a, b));
  b.skipOptions.push_back(10);
  CHECK_FALSE(sameCacheOptions(a, b));
  b = a;
  b.maxTTL = 5;
  CHECK_FALSE(sameCacheOptions(a, b));
  b = a;
  b.maxEntries = 101;
  CHECK_FALSE(sameCacheOptions(a, b));
}

TEST_CASE("a reload commit keeps matching servers, starts new ones, drains and stops the rest") {
  Runtime rt;
  auto keep = server("keep", "k-keep", {"p"});
  auto gone = std::make_shared<KeyedBackend>("gone", "k-gone", 2);
  rt.addServer(keep);
  rt.addServer(gone);
  rt.startServers();
  rt.update([](RuntimeConfig& c) { c.settings.truncateTC = true; });
  auto blocks = rt.config.load()->dynBlocks;

  ReloadStaging staging(rt);
  CHECK(staging.servers().empty());  // the staging starts from nothing
  CHECK_FALSE(staging.current()->settings.truncateTC);
  auto again = server("keep", "k-keep", {"q"});
  auto fresh = server("fresh", "k-fresh");
  staging.addServer(again);
  staging.addServer(fresh);
  staging.update([](RuntimeConfig& c) { c.settings.fixupCase = true; });
  CHECK(rt.config.load()->findPool("p") != nullptr);  // others still see the running state

  // The removed server answers its last queries while the reload waits for it.
  std::thread answer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    gone->setInFlight(0);
  });
  auto out = staging.commit(std::chrono::milliseconds(5000));
  answer.join();

  REQUIRE(out.kept.size() == 1);
  CHECK(out.kept[0] == keep);
  CHECK(out.discarded.size() == 1);
  CHECK(out.discarded[0] == again);
  REQUIRE(out.added.size() == 1);
  CHECK(out.added[0] == fresh);
  REQUIRE(out.removed.size() == 1);
  CHECK(out.removed[0] == gone);
  CHECK(out.leftInFlight == 0);
  CHECK(keep->starts == 1);  // never restarted
  CHECK(keep->stops == 0);
  CHECK(fresh->starts == 1);
  CHECK(again->starts == 0);
  CHECK(gone->stops == 1);
  auto cfg = rt.config.load();
  CHECK(cfg->settings.fixupCase);
  CHECK_FALSE(cfg->settings.truncateTC);  // the file is the whole truth
  CHECK(cfg->findPool("p") == nullptr);
  REQUIRE(cfg->findPool("q") != nullptr);
  CHECK(cfg->findPool("q")->servers == std::vector<Backend*>{keep.get()});
  CHECK(cfg->dynBlocks == blocks);
  CHECK(rt.servers().size() == 2);
}

TEST_CASE("a reload commit keeps a pool's running cache when its options are the same") {
  Runtime rt;
  PacketCacheOptions o;
  o.maxEntries = 100;
  auto running = std::make_shared<PacketCache>(o);
  auto other = std::make_shared<PacketCache>(o);
  rt.keepCache(running);
  rt.keepCache(other);
  rt.update([&](RuntimeConfig& c) {
    setPoolPolicy(c, "same", nullptr);
    setPoolPolicy(c, "changed", nullptr);
    auto s = std::make_shared<Pool>(*c.pools["same"]);
    s->cache = running.get();
    c.pools["same"] = s;
    auto ch = std::make_shared<Pool>(*c.pools["changed"]);
    ch->cache = other.get();
    c.pools["changed"] = ch;
  });

  ReloadStaging staging(rt);
  auto sameAgain = std::make_shared<PacketCache>(o);
  PacketCacheOptions bigger = o;
  bigger.maxEntries = 200;
  auto changed = std::make_shared<PacketCache>(bigger);
  staging.keepCache(sameAgain);
  staging.keepCache(changed);
  CHECK(rt.caches().size() == 2);  // staged caches stay out until the commit
  staging.update([&](RuntimeConfig& c) {
    setPoolPolicy(c, "same", nullptr);
    setPoolPolicy(c, "changed", nullptr);
    auto s = std::make_shared<Pool>(*c.pools["same"]);
    s->cache = sameAgain.get();
    c.pools["same"] = s;
    auto ch = std::make_shared<Pool>(*c.pools["changed"]);
    ch->cache = changed.get();
    c.pools["changed"] = ch;
  });
  auto out = staging.commit(std::chrono::milliseconds(100));
  CHECK(out.cachesKept == 1);
  auto cfg = rt.config.load();
  CHECK(cfg->findPool("same")->cache == running.get());
  CHECK(cfg->findPool("changed")->cache == changed.get());
  auto all = rt.caches();
  CHECK(all.size() == 3);  // the changed pool's new cache joined, the duplicate did not
}

TEST_CASE("a rolled back reload changes nothing and starts nothing") {
  Runtime rt;
  auto a = server("a", "k");
  rt.addServer(a);
  rt.startServers();
  auto before = rt.config.load();
  ReloadStaging staging(rt);
  auto b = server("b", "k2");
  staging.addServer(b);
  PacketCacheOptions small;
  small.maxEntries = 10;
  staging.keepCache(std::make_shared<PacketCache>(small));
  staging.rollback();
  CHECK(rt.config.load() == before);
  CHECK(rt.servers().size() == 1);
  CHECK(rt.caches().empty());
  CHECK(b->starts == 0);
  CHECK(a->stops == 0);
}
