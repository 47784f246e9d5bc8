// SPDX-License-Identifier: GPL-2.0-only
#include "dns/rdata.hh"

#include "dns/types.hh"

namespace ballast::dns {

namespace {

/// Fixed bytes before the first name, and how many names follow, for the types we rewrite.
struct Layout {
  size_t before = 0;
  int names = 0;
};

Layout layoutOf(uint16_t type) {
  switch (type) {
    case qtype::NS:
    case qtype::CNAME:
    case qtype::DNAME:
    case qtype::PTR:
      return {0, 1};
    case qtype::MX:
      return {2, 1};
    case qtype::SRV:
      return {6, 1};
    case qtype::SOA:
      return {0, 2};
    default:
      return {0, 0};
  }
}

}  // namespace

bool canonicalRdata(const MessageView& m, const RecordView& r, std::vector<uint8_t>& out) {
  out.clear();
  auto packet = m.packet();
  const size_t start = r.rdataOffset, end = size_t(r.rdataOffset) + r.rdataLength;
  Layout l = layoutOf(r.type);
  if (l.names == 0) {
    out.assign(packet.begin() + long(start), packet.begin() + long(end));
    return true;
  }
  if (r.rdataLength < l.before) return false;
  out.assign(packet.begin() + long(start), packet.begin() + long(start + l.before));
  size_t o = start + l.before;
  uint8_t name[kMaxNameLength];
  for (int i = 0; i < l.names; ++i) {
    size_t len = 0;
    if (o >= end) return false;
    // Bounded by the RDATA: a name may point backwards anywhere, but must end inside it.
    if (readName(packet.first(end), o, name, &len) != ParseError::None) return false;
    out.insert(out.end(), name, name + len);
  }
  out.insert(out.end(), packet.begin() + long(o), packet.begin() + long(end));
  if (r.type == qtype::SOA && end - o != 20) return false;
  return true;
}

bool rdataTarget(uint16_t type, std::span<const uint8_t> rdata, Name& out) {
  Layout l = layoutOf(type);
  if (l.names == 0 || rdata.size() <= l.before) return false;
  size_t o = l.before;
  uint8_t name[kMaxNameLength];
  size_t len = 0;
  if (readName(rdata, o, name, &len) != ParseError::None) return false;
  out = Name::fromWire({name, len});
  return true;
}

bool soaMinimum(std::span<const uint8_t> rdata, uint32_t& out) {
  size_t o = 0;
  for (int i = 0; i < 2; ++i)
    if (readName(rdata, o) != ParseError::None) return false;
  if (rdata.size() - o != 20) return false;
  const uint8_t* p = rdata.data() + o + 16;
  out = (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
  return true;
}

}  // namespace ballast::dns
