// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// DNS constants (RFC 1035 and successors) and their presentation names.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ballast::dns {

namespace qtype {
constexpr uint16_t A = 1, NS = 2, CNAME = 5, SOA = 6, PTR = 12, HINFO = 13, MX = 15, TXT = 16,
                   AAAA = 28, SRV = 33, NAPTR = 35, DNAME = 39, OPT = 41, DS = 43, SSHFP = 44,
                   RRSIG = 46, NSEC = 47, DNSKEY = 48, NSEC3 = 50, NSEC3PARAM = 51, TLSA = 52,
                   CDS = 59, CDNSKEY = 60, SVCB = 64, HTTPS = 65, IXFR = 251, AXFR = 252, ANY = 255,
                   CAA = 257;
}
namespace qclass {
constexpr uint16_t IN = 1, CH = 3, HS = 4, NONE = 254, ANY = 255;
}
namespace rcode {
constexpr uint8_t NoError = 0, FormErr = 1, ServFail = 2, NXDomain = 3, NotImp = 4, Refused = 5,
                  YXDomain = 6, YXRRSet = 7, NXRRSet = 8, NotAuth = 9, NotZone = 10;
}
namespace opcode {
constexpr uint8_t Query = 0, IQuery = 1, Status = 2, Notify = 4, Update = 5;
}

/// "A", "AAAA", ... or "TYPE1234" for types without a mnemonic (RFC 3597).
std::string qtypeToString(uint16_t type);
/// Accepts mnemonics case-insensitively and "TYPEnnn".
std::optional<uint16_t> qtypeFromString(std::string_view s);
/// "IN", "CH", ... or "CLASSnnn".
std::string qclassToString(uint16_t klass);
/// Accepts "IN", "CH", ... case-insensitively and "CLASSnnn".
std::optional<uint16_t> qclassFromString(std::string_view s);
/// "NOERROR", "SERVFAIL", ... or the number as text.
std::string rcodeToString(uint8_t rcode);

}  // namespace ballast::dns
