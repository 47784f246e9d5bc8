// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The client's MAC address for SetMacAddrAction, as dnsdist finds it: its line in the
/// kernel's IPv4 neighbour table, /proc/net/arp. A client that is not on a directly
/// attached network (or is over IPv6, or loopback) has none.
#include <string>
#include <string_view>

#include "core/address.hh"

namespace ballast::core::rules {

/// The 6 bytes of the hardware address /proc/net/arp's text `table` gives for `a` (its
/// columns: IP address, HW type, Flags, HW address, Mask, Device); "" when `a` has no line
/// or the address does not read as six hex bytes.
std::string macFromArpTable(std::string_view table, const Address& a);

/// The same, read from /proc/net/arp now ("" when it cannot be read).
std::string neighbourMac(const Address& a);

}  // namespace ballast::core::rules
