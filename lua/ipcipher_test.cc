// SPDX-License-Identifier: GPL-2.0-only
#include <doctest.h>

#include <stdexcept>

#include "lua/ipcipher.hh"

using ballast::core::Address;
using namespace ballast::lua;

TEST_CASE("ipcrypt: the published IPv4 vectors, and back") {
  const std::string key = "some 16-byte key";
  for (auto [plain, cipher] :
       {std::pair{"127.0.0.1", "114.62.227.59"}, std::pair{"8.8.8.8", "46.48.51.50"},
        std::pair{"1.2.3.4", "171.238.15.199"}}) {
    Address e = ipEncrypt(Address::parse(plain, 0), key);
    CHECK(e.toString() == cipher);
    CHECK(ipDecrypt(e, key).toString() == plain);
  }
}

TEST_CASE("IPv6 goes through one AES block and back; the port stays") {
  const std::string key = "0123456789ABCDEF";
  Address a = Address::parse("[2001:db8::1]:5353");
  Address e = ipEncrypt(a, key);
  CHECK(e.isV6());
  CHECK(e.toString() != a.toString());
  CHECK(e.port() == 5353);
  CHECK(ipDecrypt(e, key) == a);
  CHECK_THROWS_AS(ipEncrypt(a, "short"), std::invalid_argument);
}

TEST_CASE("makeIPCipherKey derives 16 stable bytes from a password") {
  std::string k = makeIPCipherKey("secret");
  CHECK(k.size() == 16);
  CHECK(k == makeIPCipherKey("secret"));
  CHECK(k != makeIPCipherKey("other"));
}
