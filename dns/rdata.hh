// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// RDATA that embeds names (NS, CNAME, DNAME, PTR, MX, SRV, SOA): copying it out of a
/// message with its names decompressed, so it can be kept and written into another message,
/// and reading the names back.
#include <cstdint>
#include <span>
#include <vector>

#include "dns/message.hh"
#include "dns/name.hh"

namespace ballast::dns {

/// Appends the record's RDATA to `out` (cleared first) with any embedded names
/// decompressed. False when the RDATA is malformed for its type (a name running past the
/// RDATA, fixed fields missing); then `out` is meaningless.
bool canonicalRdata(const MessageView& m, const RecordView& r, std::vector<uint8_t>& out);

/// The name a canonical (uncompressed) RDATA of `type` points at: the target of NS, CNAME,
/// DNAME and PTR, the exchange of MX, the target of SRV, the MNAME of SOA. False if the type
/// has no such name or the bytes are malformed.
bool rdataTarget(uint16_t type, std::span<const uint8_t> rdata, Name& out);

/// The SOA MINIMUM field of a canonical SOA RDATA (RFC 2308 negative TTL), or false.
bool soaMinimum(std::span<const uint8_t> rdata, uint32_t& out);

}  // namespace ballast::dns
