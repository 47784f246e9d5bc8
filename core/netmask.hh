// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Netmasks and groups of them (dnsdist's NMG), used by the ACL and selectors.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/address.hh"

namespace ballast::core {

class Netmask {
 public:
  /// "10.0.0.0/8", "::1/128", or a bare address (a host mask). A leading '!' is not
  /// accepted here; NetmaskGroup handles negation. Throws std::invalid_argument.
  static Netmask parse(std::string_view text);
  /// `a` with its first `bits` bits (at most the family's length, as dnsdist clamps).
  static Netmask fromAddress(const Address& a, unsigned bits);
  bool match(const Address& a) const;
  std::string toString() const;
  int family() const { return family_; }
  uint8_t bits() const { return bits_; }
  bool empty() const { return family_ == 0; }  ///< default-made, never parsed
  /// The network address (host bits cleared), port 0.
  Address network() const;
  friend bool operator==(const Netmask& a, const Netmask& b) {
    return a.family_ == b.family_ && a.bits_ == b.bits_ &&
           std::equal(a.addr_, a.addr_ + 16, b.addr_);
  }

 private:
  int family_ = 0;
  uint8_t bits_ = 0;
  uint8_t addr_[16] = {0};
};

/// `a` with every bit after the first `bits` cleared (port kept); unchanged when `bits` is
/// at least the family's length (dnsdist's ComboAddress::truncate).
Address truncateAddress(const Address& a, unsigned bits);
/// An IPv6 address in ::ffff:0:0/96.
bool isMappedV4(const Address& a);
/// The IPv4 address inside a mapped one, port kept. Throws std::invalid_argument otherwise.
Address mapToV4(const Address& a);

/// An ordered set of netmasks; an address matches when the most specific matching entry is
/// positive ("!192.0.2.0/24" entries exclude).
class NetmaskGroup {
 public:
  void add(std::string_view text);  ///< throws std::invalid_argument
  /// Removes the entries added as `text` (the same network, not the ones inside it);
  /// returns how many. Throws std::invalid_argument for a bad netmask.
  size_t remove(std::string_view text);
  void clear() { entries_.clear(); }
  bool match(const Address& a) const;
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  std::vector<std::string> toStrings() const;

 private:
  struct Entry {
    Netmask mask;
    bool negated;
  };
  std::vector<Entry> entries_;
};

/// dnsdist's default ACL: loopback, RFC 1918, link-local, ULA.
NetmaskGroup defaultAcl();

}  // namespace ballast::core
