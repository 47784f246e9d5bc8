// SPDX-License-Identifier: GPL-2.0-only
#include "dns/canonical.hh"

#include <cstring>

#include "dns/types.hh"

namespace ballast::dns {

namespace {

/// Where the names of a type's RDATA are: fixed bytes before the first one, how many
/// names follow one another. NAPTR's name comes after three strings (handled apart).
struct NameLayout {
  size_t before = 0;
  int names = 0;
};

NameLayout nameLayout(uint16_t type) {
  switch (type) {
    case qtype::NS:
    case 3:  // MD
    case 4:  // MF
    case qtype::CNAME:
    case 7:  // MB
    case 8:  // MG
    case 9:  // MR
    case qtype::PTR:
    case qtype::DNAME:
    case 30:  // NXT: the next name, then a bitmap
      return {0, 1};
    case qtype::SOA:
    case 14:  // MINFO
    case 17:  // RP
      return {0, 2};
    case qtype::MX:
    case 18:  // AFSDB
    case 21:  // RT
    case 36:  // KX
      return {2, 1};
    case 26:  // PX
      return {2, 2};
    case qtype::SRV:
      return {6, 1};
    case 24:  // SIG
    case qtype::RRSIG:
      return {18, 1};
    default:
      return {0, 0};
  }
}

/// Lowercases the uncompressed name at `o`, advancing past it; false if malformed.
bool lowerName(std::span<uint8_t> rdata, size_t& o) {
  size_t total = 0;
  while (o < rdata.size()) {
    uint8_t len = rdata[o];
    if (len == 0) {
      ++o;
      return true;
    }
    if (len > kMaxLabelLength || rdata.size() - o - 1 < len) return false;
    total += 1 + len;
    if (total + 1 > kMaxNameLength) return false;
    for (size_t i = o + 1; i <= o + len; ++i) {
      if (rdata[i] >= 'A' && rdata[i] <= 'Z') rdata[i] = uint8_t(rdata[i] + 32);
    }
    o += 1 + size_t(len);
  }
  return false;
}

}  // namespace

bool lowercaseRdataNames(uint16_t type, std::span<uint8_t> rdata) {
  size_t o = 0;
  if (type == qtype::NAPTR) {
    // order, preference, then flags, services and regexp as <character-string>s.
    o = 4;
    for (int i = 0; i < 3; ++i) {
      if (o >= rdata.size()) return false;
      o += 1 + size_t(rdata[o]);
    }
    return o < rdata.size() && lowerName(rdata, o);
  }
  NameLayout l = nameLayout(type);
  if (l.names == 0) return true;
  if (rdata.size() < l.before) return false;
  o = l.before;
  for (int i = 0; i < l.names; ++i) {
    if (!lowerName(rdata, o)) return false;
  }
  return true;
}

Name ancestor(const Name& name, size_t labels) {
  size_t count = name.labelCount();
  if (labels >= count) return name;
  auto w = name.wire();
  size_t pos = 0;
  for (size_t skip = count - labels; skip > 0; --skip) pos += 1 + size_t(w[pos]);
  return Name::fromWire(w.subspan(pos));
}

bool wildcardOf(const Name& name, Name& out) {
  if (name.wireLength() + 2 > kMaxNameLength) return false;
  uint8_t buf[kMaxNameLength];
  buf[0] = 1;
  buf[1] = '*';
  std::memcpy(buf + 2, name.wire().data(), name.wireLength());
  out = Name::fromWire({buf, name.wireLength() + 2});
  return true;
}

bool isWildcard(const Name& name) {
  auto w = name.wire();
  return w.size() >= 3 && w[0] == 1 && w[1] == '*';
}

int canonicalCompare(const Name& a, const Name& b) {
  if (a < b) return -1;
  if (b < a) return 1;
  return 0;
}

size_t commonLabels(const Name& a, const Name& b) {
  size_t na = a.labelCount(), nb = b.labelCount();
  size_t n = na < nb ? na : nb;
  while (n > 0 && !(ancestor(a, n) == ancestor(b, n))) --n;
  return n;
}

}  // namespace ballast::dns
