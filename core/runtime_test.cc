// SPDX-License-Identifier: GPL-2.0-only
// Runtime staging: a console command's changes are published together or not at all.
#include "core/runtime.hh"
#include "core/staging.hh"

#include <doctest.h>

#include <semaphore>
#include <thread>

using namespace ballast::core;

namespace {

class CountingBackend : public Backend {
 public:
  explicit CountingBackend(std::string name) : Backend(std::move(name), 1, 1) {}
  std::string addressString() const override { return "192.0.2.1:53"; }
  void start() override { ++starts; }
  void stop() override { ++stops; }
  bool submit(Query&, const Completion&) override { return false; }
  uint32_t outstanding() const override { return 0; }
  int starts = 0, stops = 0;
};

size_t poolSize(const Runtime& rt, const std::string& pool) {
  const Pool* p = rt.config.load()->findPool(pool);
  return p ? p->servers.size() : 0;
}

}  // namespace

TEST_CASE("staged changes are invisible until commit, then published at once") {
  Runtime rt;
  auto a = std::make_shared<CountingBackend>("a");
  rt.addServer(a);
  rt.startServers();
  auto gen = rt.config.generation();

  ConsoleStaging staging(rt);
  auto b = std::make_shared<CountingBackend>("b");
  staging.addServer(b);
  staging.update([](RuntimeConfig& c) { c.settings.truncateTC = true; });
  CHECK(staging.servers().size() == 2);  // the staging sees its own changes
  CHECK(b->starts == 0);
  CHECK(rt.config.generation() == gen);
  CHECK_FALSE(rt.config.load()->settings.truncateTC);
  CHECK_FALSE(rt.current()->settings.truncateTC);
  CHECK(staging.current()->settings.truncateTC);
  CHECK(staging.current()->findPool("")->servers.size() == 2);
  // The runtime, on this thread as on any other, shows the published state.
  CHECK(rt.servers().size() == 1);
  size_t seenElsewhere = 0;
  std::thread([&] { seenElsewhere = rt.servers().size(); }).join();
  CHECK(seenElsewhere == 1);

  staging.commit();
  CHECK_FALSE(staging.open());
  CHECK(rt.config.generation() == gen + 1);
  CHECK(rt.config.load()->settings.truncateTC);
  CHECK(poolSize(rt, "") == 2);
  CHECK(rt.servers().size() == 2);
  CHECK(b->starts == 1);
}

TEST_CASE("rollback leaves the published state and the servers as they were") {
  Runtime rt;
  auto a = std::make_shared<CountingBackend>("a");
  rt.addServer(a);
  rt.startServers();
  auto before = rt.config.load();

  ConsoleStaging staging(rt);
  auto b = std::make_shared<CountingBackend>("b");
  staging.addServer(b);
  CHECK(staging.removeServer(a));
  a->setAdmin(Backend::Admin::Down);
  staging.changeServer([&] {
    a->setWeight(7);
    a->setPools({"other"});
  });
  a->setQpsLimit(10);
  staging.update([](RuntimeConfig& c) { c.settings.truncateTC = true; });
  staging.rollback();

  CHECK(rt.config.load() == before);
  REQUIRE(rt.servers().size() == 1);
  CHECK(rt.servers()[0] == a);
  CHECK(b->starts == 0);
  CHECK(a->stops == 0);
  CHECK(a->admin() == Backend::Admin::Auto);
  CHECK(a->weight() == 1);
  CHECK(a->qpsLimit() == 0);
  CHECK(a->pools().empty());
}

TEST_CASE("a server removed in a committed staging is stopped; one added and removed is not") {
  Runtime rt;
  auto a = std::make_shared<CountingBackend>("a");
  rt.addServer(a);
  rt.startServers();
  ConsoleStaging staging(rt);
  auto b = std::make_shared<CountingBackend>("b");
  staging.addServer(b);
  CHECK(staging.removeServer(b));
  CHECK(staging.removeServer(a));
  CHECK(a->stops == 0);
  staging.commit();
  CHECK(a->stops == 1);
  CHECK(b->starts == 0);
  CHECK(b->stops == 0);
  CHECK(rt.servers().empty());
  CHECK(poolSize(rt, "") == 0);
}

TEST_CASE("a read-only staging publishes nothing; nested staging is refused") {
  Runtime rt;
  auto gen = rt.config.generation();
  {
    ConsoleStaging staging(rt);
    CHECK_THROWS_AS(ConsoleStaging{rt}, std::logic_error);
    CHECK_THROWS_AS(ReloadStaging{rt}, std::logic_error);
    staging.commit();
    CHECK(rt.config.generation() == gen);
    CHECK_THROWS_AS(staging.commit(), std::logic_error);
    CHECK_THROWS_AS(staging.rollback(), std::logic_error);
  }
  ConsoleStaging next(rt);  // the first one is over: another may begin
  next.commit();
}

TEST_CASE("a staging dropped while open is rolled back") {
  Runtime rt;
  auto a = std::make_shared<CountingBackend>("a");
  rt.addServer(a);
  auto before = rt.config.load();
  {
    ConsoleStaging staging(rt);
    staging.changeServer([&] { a->setWeight(3); });
  }
  CHECK(a->weight() == 1);
  CHECK(rt.config.load() == before);
  ConsoleStaging again(rt);
  again.rollback();
}

TEST_CASE("replaceServer keeps the place in the pools, starts the new one, leaves the old") {
  Runtime rt;
  auto a = std::make_shared<CountingBackend>("a");
  auto b = std::make_shared<CountingBackend>("b");
  rt.addServer(a);
  rt.addServer(b);
  rt.startServers();
  auto fresh = std::make_shared<CountingBackend>("a");
  CHECK(rt.replaceServer(a, fresh));
  CHECK(fresh->starts == 1);
  CHECK(a->stops == 0);
  auto servers = rt.servers();
  REQUIRE(servers.size() == 2);
  CHECK(servers[0] == fresh);
  const Pool* p = rt.config.load()->findPool("");
  REQUIRE(p);
  CHECK(p->servers[0] == fresh.get());
  CHECK_FALSE(rt.replaceServer(a, fresh));

  // A staging begun by another thread commits the replacement, not the old server.
  auto again = std::make_shared<CountingBackend>("a");
  std::binary_semaphore staged{0}, replaced{0};
  std::thread console([&] {
    ConsoleStaging staging(rt);
    staged.release();
    replaced.acquire();
    staging.commit();
  });
  staged.acquire();
  CHECK(rt.replaceServer(fresh, again));
  replaced.release();
  console.join();
  CHECK(rt.servers()[0] == again);
  CHECK(rt.config.load()->findPool("")->servers[0] == again.get());
}
