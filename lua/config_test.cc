// SPDX-License-Identifier: GPL-2.0-only
#include <doctest.h>

#include <string>

#include "lua/config.hh"

using namespace ballast;

namespace {

struct Fixture {
  core::Runtime rt;
  std::string output;
  lua::ProcessSettings process;
  lua::Host host{rt, process, [this](std::string_view s) { output += s; }};
  lua::LuaConfig cfg{host};
};

std::string errorOf(lua::LuaConfig& c, const std::string& code) {
  try {
    c.run(code, "test.conf");
  } catch (const lua::ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("configuration builds servers, binds, ACL and settings") {
  Fixture f;
  f.cfg.run(R"(
    addLocal("127.0.0.1:5300")
    addLocal("[::1]:5300", {reusePort=true})
    newServer("192.0.2.1")
    newServer{address="192.0.2.2:5353", name="second", pool={"a", "b"}, order=2, weight=3}
    setACL({"192.0.2.0/24"})
    addACL("10.0.0.0/8")
    setUDPTimeout(0.5)
    fixupCase(true)
    setServFailWhenNoServer(true)
    setMaxUDPOutstanding(1024)
    setSecurityPollSuffix("")
  )",
            "test.conf");
  REQUIRE(f.process.stream.locals.size() == 2);
  CHECK(f.process.stream.locals[1].reusePort);
  CHECK(f.rt.startup.maxUDPOutstanding == 1024);
  auto servers = f.rt.servers();
  REQUIRE(servers.size() == 2);
  CHECK(servers[0]->name() == "192.0.2.1:53");
  CHECK(servers[1]->name() == "second");
  auto cfg = f.rt.config.load();
  CHECK(cfg->findPool("")->servers.size() == 1);
  CHECK(cfg->findPool("a")->servers.size() == 1);
  CHECK(cfg->acl.size() == 2);
  CHECK(cfg->settings.udpTimeoutMs == 500);
  CHECK(cfg->settings.fixupCase);
  CHECK(cfg->settings.servFailWhenNoServer);
}

TEST_CASE("mistakes are errors with the position and the name") {
  Fixture f;
  CHECK(errorOf(f.cfg, "\n\nnoSuchFunction()") == "test.conf:3: unknown function 'noSuchFunction'");
  CHECK(errorOf(f.cfg, "newServer{address=\"192.0.2.1\", bogus=1}") ==
        "test.conf:1: newServer: unknown option 'bogus'");
  CHECK(errorOf(f.cfg, "newServer(\"not-an-address\")")
            .find("test.conf:1: 'not-an-address' is not a valid address") == 0);
  CHECK(errorOf(f.cfg, "newServer{address=\"192.0.2.1\", weight=\"x\"}") ==
        "test.conf:1: newServer: option 'weight' must be a number");
  CHECK(errorOf(f.cfg, "truncateTC(1)") == "test.conf:1: truncateTC: expects true or false");
  CHECK(errorOf(f.cfg, "setSecurityPollSuffix(\"secpoll.example.\")").find("no security polling") !=
        std::string::npos);
  CHECK(errorOf(f.cfg, "addLocal(\"127.0.0.1:53\", {reusePort=true, tcpFastOpen=1})") ==
        "test.conf:1: addLocal: unknown option 'tcpFastOpen'");
  CHECK(f.rt.servers().empty());  // nothing half-added
}

TEST_CASE("statistics and showServers are readable from Lua") {
  Fixture f;
  f.rt.stats.queries.inc(5);
  f.cfg.run(R"(
    newServer{address="192.0.2.1", name="one"}
    local s = getStatisticsCounters()
    print(s["queries"], s["acl-drops"])
    showServers()
  )",
            "t");
  CHECK(f.output.find("5\t0\n") == 0);
  CHECK(f.output.find("one") != std::string::npos);
  CHECK(f.output.find("Outstanding Pools") != std::string::npos);
}

TEST_CASE("start-up only functions refuse to run at runtime") {
  Fixture f;
  f.host.configuring = false;
  CHECK(errorOf(f.cfg, "addLocal(\"127.0.0.1:5300\")") ==
        "test.conf:1: addLocal cannot be used at runtime!");
}

TEST_CASE("newServer reads the health-check options; server objects set the admin state") {
  Fixture f;
  f.cfg.run(R"(
    newServer{address="192.0.2.1", checkName="health.example.", checkType="SOA", checkClass=3,
              checkInterval=5, checkTimeout=250, maxCheckFailures=3, rise=2, mustResolve=true,
              setCD=true, useRD=false}
    newServer{address="192.0.2.2", healthCheckMode="down"}
    newServer{address="192.0.2.3", healthCheckMode="UP"}
    getServer(0):setDown()
    getServers()[1]:setAuto(false)
    getServer(1):setUp()
    getServer(2):setAuto()
  )",
            "test.conf");
  auto servers = f.rt.servers();
  REQUIRE(servers.size() == 3);
  const auto& c = servers[0]->healthCheck;
  CHECK(c.checkName == dns::Name::fromString("health.example."));
  CHECK(c.checkType == 6);
  CHECK(c.checkClass == 3);
  CHECK(c.intervalSec == 5);
  CHECK(c.timeoutMs == 250);
  CHECK(c.maxCheckFailures == 3);
  CHECK(c.rise == 2);
  CHECK(c.mustResolve);
  CHECK(c.setCD);
  CHECK_FALSE(c.useRD);
  CHECK(servers[0]->admin() == core::Backend::Admin::Auto);
  CHECK_FALSE(servers[0]->isUp());  // setAuto(false)
  CHECK(servers[1]->admin() == core::Backend::Admin::Up);
  CHECK(servers[2]->admin() == core::Backend::Admin::Auto);
  CHECK(servers[2]->isUp());
  const auto& d = servers[1]->healthCheck;
  CHECK(d.checkName == dns::Name::fromString("a.root-servers.net."));
  CHECK(d.checkType == 1);
  CHECK(d.useRD);

  CHECK(errorOf(f.cfg, "newServer{address=\"192.0.2.4\", healthCheckMode=\"often\"}") ==
        "test.conf:1: newServer: unknown healthCheckMode 'often' (auto, lazy, up or down)");
  CHECK(errorOf(f.cfg, "newServer{address=\"192.0.2.4\", checkType=\"NOPE\"}") ==
        "test.conf:1: newServer: unknown checkType 'NOPE'");
  CHECK(errorOf(f.cfg, "getServer(7)").find("getServer: no server number 7") != std::string::npos);
  CHECK(f.rt.servers().size() == 3);
}

TEST_CASE("newServer reads the lazy health-check options") {
  Fixture f;
  f.cfg.run(R"(
    newServer{address="192.0.2.1", healthCheckMode="lazy", lazyHealthCheckSampleSize=50,
              lazyHealthCheckMinSampleCount=10, lazyHealthCheckThreshold=30,
              lazyHealthCheckFailedInterval=5, lazyHealthCheckMode="TimeoutOnly",
              lazyHealthCheckUseExponentialBackOff=true, lazyHealthCheckMaxBackOff=60}
    newServer{address="192.0.2.2", healthCheckMode="LAZY"}
    newServer{address="192.0.2.3"}
  )",
            "test.conf");
  auto servers = f.rt.servers();
  REQUIRE(servers.size() == 3);
  const auto& c = servers[0]->healthCheck;
  CHECK(c.lazy);
  CHECK(c.lazySampleSize == 50);
  CHECK(c.lazyMinSampleCount == 10);
  CHECK(c.lazyThreshold == 30);
  CHECK(c.lazyFailedIntervalSec == 5);
  CHECK(c.lazyTimeoutOnly);
  CHECK(c.lazyBackOff);
  CHECK(c.lazyMaxBackOffSec == 60);
  CHECK(servers[0]->lazySamples.enabled());
  CHECK(servers[0]->admin() == core::Backend::Admin::Auto);
  const auto& d = servers[1]->healthCheck;
  CHECK(d.lazy);
  CHECK(d.lazySampleSize == 100);
  CHECK(d.lazyMinSampleCount == 1);
  CHECK(d.lazyThreshold == 20);
  CHECK(d.lazyFailedIntervalSec == 30);
  CHECK_FALSE(d.lazyTimeoutOnly);
  CHECK_FALSE(d.lazyBackOff);
  CHECK(d.lazyMaxBackOffSec == 3600);
  CHECK_FALSE(servers[2]->healthCheck.lazy);
  CHECK_FALSE(servers[2]->lazySamples.enabled());
  CHECK(errorOf(f.cfg, "newServer{address=\"192.0.2.4\", checkFunction=\"f\"}") ==
        "test.conf:1: newServer: option 'checkFunction' must be a function");
  CHECK_FALSE(servers[2]->healthCheck.checkFunction);
  f.cfg.run("newServer{address=\"192.0.2.5\", checkFunction=function(n, t, c) return n, t, c end}",
            "test.conf");
  REQUIRE(f.rt.servers().size() == 4);
  CHECK(f.rt.servers()[3]->healthCheck.checkFunction);
  CHECK(errorOf(f.cfg, "newServer{address=\"192.0.2.4\", lazyHealthCheckMode=\"x\"}")
            .find("unknown lazyHealthCheckMode 'x'") != std::string::npos);
}

TEST_CASE("server objects: setWeight, setQPS, addPool, rmPool; rmServer") {
  Fixture f;
  f.cfg.run(R"(
    newServer{address="192.0.2.1", name="a"}
    newServer{address="192.0.2.2", name="b", pool="p1"}
    newServer{address="192.0.2.3", name="c"}
    getServer(0):setWeight(4)
    getServer(0):setQPS(10)
    getServer(0):addPool("p1")
    getServer(1):addPool("p2")
    getServer(1):rmPool("p1")
    rmServer(getServer(2))
  )",
            "test.conf");
  auto servers = f.rt.servers();
  REQUIRE(servers.size() == 2);
  CHECK(servers[0]->weight() == 4);
  CHECK(servers[0]->qpsLimit() == 10);
  CHECK(servers[0]->pools() == std::vector<std::string>{"", "p1"});
  CHECK(servers[1]->pools() == std::vector<std::string>{"p2"});
  auto cfg = f.rt.config.load();
  REQUIRE(cfg->pools.count("") == 1);
  REQUIRE(cfg->pools.count("p1") == 1);
  REQUIRE(cfg->pools.count("p2") == 1);
  CHECK(cfg->pools.at("")->servers.size() == 1);  // a, still in the default pool; c removed
  CHECK(cfg->pools.at("p1")->servers == std::vector<core::Backend*>{servers[0].get()});
  CHECK(cfg->pools.at("p2")->servers == std::vector<core::Backend*>{servers[1].get()});
  f.cfg.run("getServer(0):setQPS(0) rmServer(1)", "test.conf");
  CHECK(servers[0]->qpsLimit() == 0);
  CHECK(f.rt.servers().size() == 1);
  CHECK(errorOf(f.cfg, "getServer(0):setWeight(0)").find("setWeight") != std::string::npos);
  CHECK(errorOf(f.cfg, "rmServer(3)").find("rmServer: no server number 3") != std::string::npos);
}
