// SPDX-License-Identifier: GPL-2.0-only
#include <doctest.h>

#include "core/rules/mac_address.hh"

using namespace ballast::core;
using namespace ballast::core::rules;

TEST_CASE("neighbour table: the client's line, its hardware address as six bytes") {
  const char* table =
      "IP address       HW type     Flags       HW address            Mask     Device\n"
      "192.0.2.10       0x1         0x2         52:54:00:ab:cd:ef     *        eth0\n"
      "192.0.2.1        0x1         0x2         00:11:22:33:44:55     *        eth0\n"
      "192.0.2.100      0x1         0x2         00:11:22:33:44        *        eth0\n"
      "192.0.2.101      0x1         0x2         zz:11:22:33:44:55     *        eth0\n";
  CHECK(macFromArpTable(table, Address::parse("192.0.2.1")) ==
        std::string("\x00\x11\x22\x33\x44\x55", 6));
  // Not a prefix match: 192.0.2.1 is not 192.0.2.10.
  CHECK(macFromArpTable(table, Address::parse("192.0.2.10:5300")) ==
        std::string("\x52\x54\x00\xab\xcd\xef", 6));
  CHECK(macFromArpTable(table, Address::parse("192.0.2.2")).empty());
  CHECK(macFromArpTable(table, Address::parse("192.0.2.100")).empty());  // short
  CHECK(macFromArpTable(table, Address::parse("192.0.2.101")).empty());  // not hex
  CHECK(macFromArpTable("", Address::parse("192.0.2.1")).empty());
  CHECK(macFromArpTable(table, Address::parse("2001:db8::1")).empty());  // IPv4 table only
  CHECK(neighbourMac(Address::parse("127.0.0.1")).empty());  // loopback has no neighbour
}
