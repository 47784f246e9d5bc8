// SPDX-License-Identifier: GPL-2.0-only
#include "dns/types.hh"

#include <array>
#include <charconv>
#include <utility>

namespace ballast::dns {
namespace {

struct Mnemonic {
  uint16_t value;
  std::string_view name;
};

constexpr std::array kTypes{
    Mnemonic{qtype::A, "A"},
    Mnemonic{qtype::NS, "NS"},
    Mnemonic{qtype::CNAME, "CNAME"},
    Mnemonic{qtype::SOA, "SOA"},
    Mnemonic{qtype::PTR, "PTR"},
    Mnemonic{qtype::HINFO, "HINFO"},
    Mnemonic{qtype::MX, "MX"},
    Mnemonic{qtype::TXT, "TXT"},
    Mnemonic{qtype::AAAA, "AAAA"},
    Mnemonic{qtype::SRV, "SRV"},
    Mnemonic{qtype::NAPTR, "NAPTR"},
    Mnemonic{qtype::DNAME, "DNAME"},
    Mnemonic{qtype::OPT, "OPT"},
    Mnemonic{qtype::DS, "DS"},
    Mnemonic{qtype::SSHFP, "SSHFP"},
    Mnemonic{qtype::RRSIG, "RRSIG"},
    Mnemonic{qtype::NSEC, "NSEC"},
    Mnemonic{qtype::DNSKEY, "DNSKEY"},
    Mnemonic{qtype::NSEC3, "NSEC3"},
    Mnemonic{qtype::NSEC3PARAM, "NSEC3PARAM"},
    Mnemonic{qtype::TLSA, "TLSA"},
    Mnemonic{qtype::CDS, "CDS"},
    Mnemonic{qtype::CDNSKEY, "CDNSKEY"},
    Mnemonic{qtype::SVCB, "SVCB"},
    Mnemonic{qtype::HTTPS, "HTTPS"},
    Mnemonic{qtype::IXFR, "IXFR"},
    Mnemonic{qtype::AXFR, "AXFR"},
    Mnemonic{qtype::ANY, "ANY"},
    Mnemonic{qtype::CAA, "CAA"},
};

constexpr std::array kClasses{
    Mnemonic{qclass::IN, "IN"},     Mnemonic{qclass::CH, "CH"},   Mnemonic{qclass::HS, "HS"},
    Mnemonic{qclass::NONE, "NONE"}, Mnemonic{qclass::ANY, "ANY"},
};

// Names as dig and dnsdist print them; 16 and up are the EDNS/TSIG extended codes that
// fit in a uint8_t.
constexpr std::array kRcodes{
    Mnemonic{rcode::NoError, "NOERROR"},
    Mnemonic{rcode::FormErr, "FORMERR"},
    Mnemonic{rcode::ServFail, "SERVFAIL"},
    Mnemonic{rcode::NXDomain, "NXDOMAIN"},
    Mnemonic{rcode::NotImp, "NOTIMP"},
    Mnemonic{rcode::Refused, "REFUSED"},
    Mnemonic{rcode::YXDomain, "YXDOMAIN"},
    Mnemonic{rcode::YXRRSet, "YXRRSET"},
    Mnemonic{rcode::NXRRSet, "NXRRSET"},
    Mnemonic{rcode::NotAuth, "NOTAUTH"},
    Mnemonic{rcode::NotZone, "NOTZONE"},
    Mnemonic{16, "BADVERS"},
    Mnemonic{23, "BADCOOKIE"},
};

template <size_t N>
std::string_view lookup(const std::array<Mnemonic, N>& table, uint16_t value) {
  for (const auto& m : table) {
    if (m.value == value) return m.name;
  }
  return {};
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = char(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = char(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

// Parses the RFC 3597 generic form, e.g. "TYPE65280" with prefix "TYPE".
std::optional<uint16_t> parseGeneric(std::string_view s, std::string_view prefix) {
  if (s.size() <= prefix.size() || !equalsIgnoreCase(s.substr(0, prefix.size()), prefix)) {
    return std::nullopt;
  }
  std::string_view digits = s.substr(prefix.size());
  uint16_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return v;
}

template <size_t N>
std::optional<uint16_t> fromMnemonic(const std::array<Mnemonic, N>& table, std::string_view s,
                                     std::string_view genericPrefix) {
  for (const auto& m : table) {
    if (equalsIgnoreCase(m.name, s)) return m.value;
  }
  return parseGeneric(s, genericPrefix);
}

}  // namespace

std::string qtypeToString(uint16_t type) {
  if (auto n = lookup(kTypes, type); !n.empty()) return std::string(n);
  return "TYPE" + std::to_string(type);
}

std::optional<uint16_t> qtypeFromString(std::string_view s) {
  return fromMnemonic(kTypes, s, "TYPE");
}

std::string qclassToString(uint16_t klass) {
  if (auto n = lookup(kClasses, klass); !n.empty()) return std::string(n);
  return "CLASS" + std::to_string(klass);
}

std::optional<uint16_t> qclassFromString(std::string_view s) {
  return fromMnemonic(kClasses, s, "CLASS");
}

std::string rcodeToString(uint8_t rcode) {
  if (auto n = lookup(kRcodes, rcode); !n.empty()) return std::string(n);
  return std::to_string(rcode);
}

}  // namespace ballast::dns
