// SPDX-License-Identifier: GPL-2.0-only
#include <doctest.h>

#include <string>

#include "lua/config.hh"

using namespace ballast;

namespace {

struct Fixture {
  core::Runtime rt;
  std::string output;
  lua::Host host{rt, [this](std::string_view s) { output += s; }};
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
  )", "test.conf");
  REQUIRE(f.rt.startup.locals.size() == 2);
  CHECK(f.rt.startup.locals[1].reusePort);
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
  CHECK(errorOf(f.cfg, "newServer(\"not-an-address\")").find("test.conf:1: 'not-an-address' is not a valid address") == 0);
  CHECK(errorOf(f.cfg, "newServer{address=\"192.0.2.1\", weight=\"x\"}") ==
        "test.conf:1: newServer: option 'weight' must be a number");
  CHECK(errorOf(f.cfg, "truncateTC(1)") == "test.conf:1: truncateTC: expects true or false");
  CHECK(errorOf(f.cfg, "setSecurityPollSuffix(\"secpoll.example.\")").find("no security polling") != std::string::npos);
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
  )", "t");
  CHECK(f.output.find("5\t0\n") == 0);
  CHECK(f.output.find("one") != std::string::npos);
  CHECK(f.output.find("Outstanding Pools") != std::string::npos);
}

TEST_CASE("start-up only functions refuse to run at runtime") {
  Fixture f;
  f.host.configuring = false;
  CHECK(errorOf(f.cfg, "addLocal(\"127.0.0.1:5300\")") == "test.conf:1: addLocal cannot be used at runtime!");
}
