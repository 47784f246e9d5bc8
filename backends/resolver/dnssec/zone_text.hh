// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Records in zone-file presentation format (RFC 1035 5.1), for trust anchor files and
/// tests: `owner [TTL] [class] TYPE RDATA`, `;` comments, `( ... )` across lines, quoted
/// strings. RDATA is understood for A, AAAA, NS, CNAME, DNAME, PTR, MX, SOA, TXT, DS, CDS,
/// DNSKEY, CDNSKEY, RRSIG, NSEC, NSEC3, NSEC3PARAM and the RFC 3597 form `\# len hex` for any
/// type. No $ORIGIN/$TTL/$INCLUDE: relative names are made absolute against `origin`.
/// Configuration-time input: errors throw std::invalid_argument with the line and reason.
#include <cstdint>
#include <string_view>
#include <vector>

#include "dns/name.hh"

namespace ballast::backends::resolver::dnssec {

struct TextRecord {
  dns::Name owner;
  uint16_t type = 0;
  uint16_t klass = 1;
  uint32_t ttl = 0;
  std::vector<uint8_t> rdata;  ///< uncompressed wire RDATA
  size_t line = 0;             ///< where the record starts (1-based)
};

/// Parses every record of `text`. Errors: std::invalid_argument("line N: reason").
std::vector<TextRecord> parseZoneText(std::string_view text, const dns::Name& origin = {});

/// One record; convenience for tests.
TextRecord parseRecord(std::string_view text);

/// "20100909100439" (RFC 4034 3.2) or a plain number of seconds, to a 32-bit timestamp.
bool parseRrsigTime(std::string_view text, uint32_t& out);

}  // namespace ballast::backends::resolver::dnssec
