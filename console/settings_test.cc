// SPDX-License-Identifier: GPL-2.0-only
// console::Settings: the key helpers setKey/makeKey use, and what a reload hands over.
#include "console/settings.hh"

#include <doctest.h>

using namespace ballast;

TEST_CASE("newKey makes keys isValidKey accepts; other text is refused") {
  std::string k = console::newKey();
  CHECK(console::isValidKey(k));
  CHECK(console::newKey() != k);
  CHECK_FALSE(console::isValidKey(""));
  CHECK_FALSE(console::isValidKey("c2hvcnQ="));  // base64, but not 32 bytes
  CHECK_FALSE(console::isValidKey("not base64 at all!"));
}

TEST_CASE("a reload's console settings apply except the address") {
  console::Settings live;
  live.address = "127.0.0.1:5199";
  console::Settings fresh;
  fresh.address = "127.0.0.1:6000";
  fresh.key = console::newKey();
  fresh.acl = core::NetmaskGroup();
  fresh.acl.add("192.0.2.0/24");
  fresh.logConnections = false;
  fresh.maxConnections = 3;
  fresh.outputMaxSize = 100;
  live.adoptRuntimeFields(fresh);
  CHECK(*live.address == "127.0.0.1:5199");
  CHECK(live.key == fresh.key);
  CHECK(live.acl.toStrings() == std::vector<std::string>{"192.0.2.0/24"});
  CHECK_FALSE(live.logConnections);
  CHECK(live.maxConnections == 3);
  CHECK(live.outputMaxSize == 100);
}

TEST_CASE("testCrypto: a round trip under the key, or the reason it failed") {
  using namespace ballast::console;
  std::string key = newKey();
  CHECK(testCrypto(key, "testStringForCryptoTests") == "Everything is ok!\n");
  CHECK(testCrypto(key, "") == "Everything is ok!\n");
  CHECK(testCrypto("", "x").rfind("Crypto failed: no console key", 0) == 0);
}
