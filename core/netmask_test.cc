// SPDX-License-Identifier: GPL-2.0-only
#include <doctest.h>

#include <stdexcept>

#include "core/address.hh"
#include "core/netmask.hh"

using namespace ballast::core;

TEST_CASE("addresses parse with and without ports") {
  CHECK(Address::parse("192.0.2.1").toStringWithPort() == "192.0.2.1:53");
  CHECK(Address::parse("192.0.2.1:5300").port() == 5300);
  CHECK(Address::parse("2001:db8::1").toStringWithPort() == "[2001:db8::1]:53");
  CHECK(Address::parse("[::1]:5300").toStringWithPort() == "[::1]:5300");
  CHECK(Address::parse("0.0.0.0:1").isWildcard());
  CHECK_THROWS_AS(Address::parse("300.1.1.1"), std::invalid_argument);
  CHECK_THROWS_AS(Address::parse("192.0.2.1:70000"), std::invalid_argument);
  CHECK_THROWS_AS(Address::parse("[::1"), std::invalid_argument);
  CHECK_THROWS_AS(Address::parse("example.com"), std::invalid_argument);
}

TEST_CASE("netmasks match by prefix") {
  auto m = Netmask::parse("10.1.0.0/16");
  CHECK(m.match(Address::parse("10.1.200.3")));
  CHECK_FALSE(m.match(Address::parse("10.2.0.1")));
  CHECK_FALSE(m.match(Address::parse("::1")));
  CHECK(Netmask::parse("10.1.2.3/12").toString() == "10.0.0.0/12");
  CHECK(Netmask::parse("192.0.2.7").match(Address::parse("192.0.2.7")));
  CHECK_FALSE(Netmask::parse("192.0.2.7").match(Address::parse("192.0.2.8")));
  CHECK(Netmask::parse("2001:db8::/32").match(Address::parse("2001:db8:1::5")));
  CHECK_THROWS_AS(Netmask::parse("10.0.0.0/33"), std::invalid_argument);
  CHECK_THROWS_AS(Netmask::parse("nonsense/8"), std::invalid_argument);
}

TEST_CASE("netmask groups: most specific entry wins, negation excludes") {
  NetmaskGroup g;
  g.add("192.0.2.0/24");
  g.add("!192.0.2.128/25");
  CHECK(g.match(Address::parse("192.0.2.1")));
  CHECK_FALSE(g.match(Address::parse("192.0.2.200")));
  CHECK_FALSE(g.match(Address::parse("198.51.100.1")));
}

TEST_CASE("default ACL is loopback and private ranges") {
  auto acl = defaultAcl();
  CHECK(acl.match(Address::parse("127.0.0.1")));
  CHECK(acl.match(Address::parse("10.9.8.7")));
  CHECK(acl.match(Address::parse("::1")));
  CHECK_FALSE(acl.match(Address::parse("8.8.8.8")));
  CHECK_FALSE(acl.match(Address::parse("2001:db8::1")));
}

TEST_CASE("NetmaskGroup::remove takes out the entries added as that network only") {
  NetmaskGroup g;
  g.add("192.0.2.0/24");
  g.add("192.0.2.128/25");
  g.add("198.51.100.1");
  CHECK(g.remove("192.0.2.0/24") == 1);
  CHECK_FALSE(g.match(Address::parse("192.0.2.1")));
  CHECK(g.match(Address::parse("192.0.2.200")));  // the /25 inside stays
  CHECK(g.remove("198.51.100.1/32") == 1);
  CHECK(g.remove("203.0.113.0/24") == 0);
  CHECK_THROWS_AS(g.remove("not a netmask"), std::invalid_argument);
}

TEST_CASE("Netmask from an address and a prefix length, its network") {
  auto m = Netmask::fromAddress(Address::parse("192.0.2.77:53"), 24);
  CHECK(m.toString() == "192.0.2.0/24");
  CHECK(m.network().toStringWithPort() == "192.0.2.0:0");
  CHECK(Netmask::fromAddress(Address::parse("2001:db8::1"), 200).bits() == 128);
  CHECK(Netmask::fromAddress(Address::parse("10.9.8.7"), 0).match(Address::parse("1.2.3.4")));
  CHECK(Netmask::parse("10.1.2.3/12") == Netmask::fromAddress(Address::parse("10.0.0.0"), 12));
  CHECK_FALSE(Netmask::parse("10.0.0.0/12") == Netmask::parse("10.0.0.0/13"));
  CHECK(Netmask{}.empty());
  CHECK_FALSE(m.empty());
}

TEST_CASE("addresses truncate and map from IPv4-mapped IPv6") {
  CHECK(truncateAddress(Address::parse("192.0.2.255:99"), 25).toStringWithPort() ==
        "192.0.2.128:99");
  CHECK(truncateAddress(Address::parse("192.0.2.255"), 40).toString() == "192.0.2.255");
  CHECK(truncateAddress(Address::parse("2001:db8:ffff::1"), 36).toString() == "2001:db8:f000::");
  CHECK(isMappedV4(Address::parse("::ffff:192.0.2.1")));
  CHECK_FALSE(isMappedV4(Address::parse("192.0.2.1")));
  CHECK_FALSE(isMappedV4(Address::parse("2001:db8::1")));
  CHECK(mapToV4(Address::parse("[::ffff:192.0.2.1]:5300")).toStringWithPort() == "192.0.2.1:5300");
  CHECK_THROWS_AS(mapToV4(Address::parse("2001:db8::1")), std::invalid_argument);
}
