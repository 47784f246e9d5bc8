// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// XPF (draft-bellis-dnsop-xpf): newServer{addXPF=code} appends a record of that type to the
/// queries sent to the server, carrying the client's and ballast's addresses and ports.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/address.hh"

namespace ballast::core {

/// The record's data: IP version (4/6), protocol (17 UDP, 6 TCP), source address,
/// destination address, source port, destination port. Empty when the two addresses are
/// not of one family.
std::string xpfPayload(bool tcp, const Address& source, const Address& destination);

/// Appends the record (root owner, class IN, TTL 0, type `rrType`) at `messageEnd` (dropping
/// any trailing bytes) and counts it in ARCOUNT. Returns the new length, or 0 (the packet
/// unchanged) when it does not fit in `capacity` or the payload is empty.
size_t appendXpf(uint8_t* packet, size_t messageEnd, size_t capacity, uint16_t rrType,
                 const std::string& payload);

}  // namespace ballast::core
