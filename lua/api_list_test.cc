// SPDX-License-Identifier: GPL-2.0-only
#include <doctest.h>

#include <string>

#include "lua/api_list.hh"
#include "lua/config.hh"

using namespace ballast;

TEST_CASE("refused dnsdist functions come from api.txt with their reason") {
  auto r = lua::refusedFunctionReason("addDNSCryptBind");
  REQUIRE(r);
  CHECK(r->find("DNSCrypt") != std::string_view::npos);
  CHECK_FALSE(lua::refusedFunctionReason("newServer"));       // supported
  CHECK_FALSE(lua::refusedFunctionReason("noSuchThing"));     // not dnsdist's either
  CHECK_FALSE(lua::refusedFunctionReason("addDNSCryptBin"));  // no prefix match
}

TEST_CASE("calling a refused function fails with FILE:LINE, its name and the reason") {
  core::Runtime rt;
  lua::ProcessSettings process;
  lua::Host host{rt, process, [](std::string_view) {}};
  lua::LuaConfig cfg{host};
  std::string error;
  try {
    cfg.run("\n\naddDNSCryptBind('127.0.0.1:8443', 'p', 'c', 'k')", "test.conf");
  } catch (const lua::ConfigError& e) {
    error = e.what();
  }
  CHECK(error.rfind("test.conf:3: addDNSCryptBind is not supported by ballast: ", 0) == 0);
  try {
    cfg.run("\nnoSuchFunction()", "test.conf");
    error.clear();
  } catch (const lua::ConfigError& e) {
    error = e.what();
  }
  CHECK(error == "test.conf:2: unknown function 'noSuchFunction'");
}
