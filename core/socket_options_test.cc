// SPDX-License-Identifier: GPL-2.0-only
#include "core/socket_options.hh"

#include <doctest.h>

#include <stdexcept>

using ballast::core::OutgoingSource;

TEST_CASE("newServer source: address, interface or address@interface") {
  auto a = OutgoingSource::parse("192.0.2.2");
  REQUIRE(a.address);
  CHECK(a.address->toString() == "192.0.2.2");
  CHECK(a.interface.empty());
  auto i = OutgoingSource::parse("eth0");
  CHECK(!i.address);
  CHECK(i.interface == "eth0");
  auto both = OutgoingSource::parse("2001:db8::1@lo");
  REQUIRE(both.address);
  CHECK(both.address->isV6());
  CHECK(both.interface == "lo");
  CHECK_THROWS_AS(OutgoingSource::parse("@lo"), std::invalid_argument);
  CHECK_THROWS_AS(OutgoingSource::parse("192.0.2.2@"), std::invalid_argument);
  CHECK_THROWS_AS(OutgoingSource::parse(""), std::invalid_argument);
}
