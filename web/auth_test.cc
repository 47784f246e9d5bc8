// SPDX-License-Identifier: GPL-2.0-only
#include <doctest.h>

#include <stdexcept>

#include "web/auth.hh"

using namespace ballast::web;

TEST_CASE("hashPassword makes dnsdist's scrypt format and verifies") {
  std::string h = hashPassword("secret");
  CHECK(h.rfind("$scrypt$ln=10,p=1,r=8$", 0) == 0);
  CHECK(isHashedPassword(h));
  CHECK(h != hashPassword("secret"));  // a fresh salt each time
  Credential c = Credential::fromConfig(h, false);
  CHECK(c.hashed());
  CHECK(c.matches("secret"));
  CHECK_FALSE(c.matches("secreT"));
  CHECK_FALSE(c.matches(""));
}

TEST_CASE("work factor is scrypt's N, a power of two") {
  CHECK(hashPassword("x", 16).rfind("$scrypt$ln=4,", 0) == 0);
  CHECK_THROWS_AS(hashPassword("x", 1000), std::invalid_argument);
}

TEST_CASE("plain credentials are hashed on request, else compared as they are") {
  Credential hashed = Credential::fromConfig("pw", true);
  CHECK(hashed.hashed());
  CHECK(hashed.matches("pw"));
  Credential plain = Credential::fromConfig("pw", false);
  CHECK_FALSE(plain.hashed());
  CHECK(plain.matches("pw"));
  CHECK_FALSE(plain.matches("pw2"));
  CHECK_FALSE(plain.matches("p"));
  CHECK_FALSE(Credential().matches(""));
}

TEST_CASE("malformed hashes are not hashes") {
  CHECK_FALSE(isHashedPassword("$scrypt$ln=10,p=1,r=8$abc"));
  CHECK_FALSE(isHashedPassword("$scrypt$ln=99,p=1,r=8$AAAA$AAAA"));
  CHECK_FALSE(isHashedPassword("plain"));
}

TEST_CASE("base64 round trip and basic auth") {
  for (std::string s : {"", "a", "ab", "abc", "abcd"}) CHECK(base64Decode(base64Encode(s)) == s);
  CHECK(base64Decode("abc") == std::nullopt);
  CHECK(basicAuthPassword("Basic " + base64Encode("admin:pa:ss")) == "pa:ss");
  CHECK(basicAuthPassword("basic " + base64Encode("x:y")) == "y");
  CHECK(basicAuthPassword("Bearer abc") == std::nullopt);
  CHECK(basicAuthPassword("Basic " + base64Encode("nocolon")) == std::nullopt);
}
