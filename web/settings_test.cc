// SPDX-License-Identifier: GPL-2.0-only
// web::Settings: what Lua configures, read per request, and what a reload hands over.
#include "web/settings.hh"

#include <doctest.h>

using namespace ballast;
using namespace ballast::web;

TEST_CASE("updateConfig publishes a new copy; readers keep the one they hold") {
  Settings s;
  auto before = s.config();
  s.updateConfig([](WebConfig& c) { c.apiWritable = true; });
  CHECK_FALSE(before->apiWritable);
  CHECK(s.config()->apiWritable);
  CHECK_THROWS(s.updateConfig([](WebConfig& c) {
    c.apiWritable = false;
    throw std::runtime_error("bad");
  }));
  CHECK(s.config()->apiWritable);  // a change that threw published nothing
}

TEST_CASE("a reload's settings replace the config and handlers, not the address or carbon") {
  Settings live;
  live.setListenAddress(core::Address::parse("127.0.0.1:8083"));
  metrics::CarbonConfig carbon;
  carbon.server = "127.0.0.1:2003";
  live.addCarbon(carbon);
  live.setHandler("/old", [](const WebRequest&, WebResponse&) { return true; });

  Settings fresh;
  fresh.setListenAddress(core::Address::parse("127.0.0.1:9999"));
  fresh.updateConfig([](WebConfig& c) { c.maxConcurrentConnections = 7; });
  fresh.setHandler("/new", [](const WebRequest&, WebResponse& r) {
    r.status = 204;
    return true;
  });
  live.adoptRuntimeFields(fresh);

  CHECK(live.config()->maxConcurrentConnections == 7);
  CHECK_FALSE(live.handler("/old"));
  REQUIRE(live.handler("/new"));
  WebResponse resp;
  CHECK(live.handler("/new")(WebRequest{}, resp));
  CHECK(resp.status == 204);
  CHECK(live.listenAddress()->toStringWithPort() == "127.0.0.1:8083");
  CHECK(live.carbon().size() == 1);
}
