// SPDX-License-Identifier: GPL-2.0-only
#include "core/netmask.hh"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <stdexcept>

namespace ballast::core {

Netmask Netmask::parse(std::string_view text) {
  auto slash = text.find('/');
  std::string_view addrText = text.substr(0, slash);
  Address a;
  try {
    // A bracket-free address: port 0 so "::1" is not read as host:port.
    a = Address::parse(addrText.find(':') != std::string_view::npos
                           ? "[" + std::string(addrText) + "]"
                           : std::string(addrText),
                       0);
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument("'" + std::string(text) + "' is not a valid netmask");
  }
  Netmask m;
  m.family_ = a.family();
  unsigned maxBits = a.isV4() ? 32 : 128;
  unsigned bits = maxBits;
  if (slash != std::string_view::npos) {
    auto b = text.substr(slash + 1);
    auto [p, ec] = std::from_chars(b.data(), b.data() + b.size(), bits);
    if (ec != std::errc() || p != b.data() + b.size() || b.empty() || bits > maxBits)
      throw std::invalid_argument("'" + std::string(text) + "' has a bad prefix length");
  }
  m.bits_ = uint8_t(bits);
  std::memcpy(m.addr_, a.bytes(), a.byteLength());
  // Clear host bits so toString() and match() agree.
  for (unsigned i = 0; i < a.byteLength(); ++i) {
    unsigned keep = bits >= (i + 1) * 8 ? 8 : (bits > i * 8 ? bits - i * 8 : 0);
    m.addr_[i] &= uint8_t(keep == 8 ? 0xff : (0xff << (8 - keep)) & 0xff);
  }
  return m;
}

Netmask Netmask::fromAddress(const Address& a, unsigned bits) {
  Netmask m;
  m.family_ = a.family();
  m.bits_ = uint8_t(std::min<unsigned>(bits, a.isV4() ? 32 : 128));
  Address t = truncateAddress(a, m.bits_);
  std::memcpy(m.addr_, t.bytes(), t.byteLength());
  return m;
}

Address Netmask::network() const {
  Address a = Address::parse(family_ == AF_INET6 ? "::" : "0.0.0.0", 0);
  std::memcpy(const_cast<uint8_t*>(a.bytes()), addr_, a.byteLength());
  return a;
}

Address truncateAddress(const Address& a, unsigned bits) {
  Address out = a;
  auto* b = const_cast<uint8_t*>(out.bytes());
  for (unsigned i = 0; i < out.byteLength(); ++i) {
    unsigned keep = bits >= (i + 1) * 8 ? 8 : (bits > i * 8 ? bits - i * 8 : 0);
    b[i] &= uint8_t(keep == 8 ? 0xff : (0xff << (8 - keep)) & 0xff);
  }
  return out;
}

bool isMappedV4(const Address& a) {
  static constexpr uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return a.isV6() && std::memcmp(a.bytes(), kPrefix, sizeof(kPrefix)) == 0;
}

Address mapToV4(const Address& a) {
  if (!isMappedV4(a))
    throw std::invalid_argument(a.toString() + " is not an IPv4-mapped IPv6 address");
  Address out = Address::parse("0.0.0.0", a.port());
  std::memcpy(const_cast<uint8_t*>(out.bytes()), a.bytes() + 12, 4);
  return out;
}

bool Netmask::match(const Address& a) const {
  if (a.family() != family_) return false;
  const uint8_t* b = a.bytes();
  unsigned full = bits_ / 8;
  if (std::memcmp(b, addr_, full) != 0) return false;
  unsigned rest = bits_ % 8;
  if (rest == 0) return true;
  uint8_t mask = uint8_t(0xff << (8 - rest));
  return (b[full] & mask) == addr_[full];
}

std::string Netmask::toString() const {
  return network().toString() + "/" + std::to_string(bits_);
}

void NetmaskGroup::add(std::string_view text) {
  bool neg = !text.empty() && text.front() == '!';
  entries_.push_back({Netmask::parse(neg ? text.substr(1) : text), neg});
}

size_t NetmaskGroup::remove(std::string_view text) {
  bool neg = !text.empty() && text.front() == '!';
  std::string wanted = Netmask::parse(neg ? text.substr(1) : text).toString();
  size_t before = entries_.size();
  std::erase_if(entries_,
                [&](const Entry& e) { return e.negated == neg && e.mask.toString() == wanted; });
  return before - entries_.size();
}

bool NetmaskGroup::match(const Address& a) const {
  int bestBits = -1;
  bool result = false;
  for (const auto& e : entries_) {
    if (e.mask.bits() > bestBits && e.mask.match(a)) {
      bestBits = e.mask.bits();
      result = !e.negated;
    }
  }
  return result;
}

std::vector<std::string> NetmaskGroup::toStrings() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) out.push_back((e.negated ? "!" : "") + e.mask.toString());
  return out;
}

NetmaskGroup defaultAcl() {
  NetmaskGroup g;
  for (const char* m : {"127.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16",
                        "192.168.0.0/16", "172.16.0.0/12", "::1/128", "fc00::/7", "fe80::/10"})
    g.add(m);
  return g;
}

}  // namespace ballast::core
