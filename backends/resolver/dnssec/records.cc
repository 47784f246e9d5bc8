// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/dnssec/records.hh"

namespace ballast::backends::resolver::dnssec {

namespace {

uint16_t u16(const uint8_t* p) {
  return uint16_t((p[0] << 8) | p[1]);
}
uint32_t u32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}

/// An uncompressed name at `o` inside `rdata`; advances `o`. Refuses compression pointers
/// (and anything dns::readName refuses) by requiring the name to occupy its own length.
bool readPlainName(std::span<const uint8_t> rdata, size_t& o, dns::Name& out) {
  size_t pos = o;
  while (pos < rdata.size()) {
    uint8_t len = rdata[pos];
    if (len == 0) {
      ++pos;
      if (pos - o > dns::kMaxNameLength) return false;
      out = dns::Name::fromWire(rdata.subspan(o, pos - o));
      o = pos;
      return true;
    }
    if (len > dns::kMaxLabelLength) return false;  // pointer or reserved label type
    pos += 1 + size_t(len);
  }
  return false;
}

}  // namespace

bool TypeBitmap::has(uint16_t type) const {
  uint8_t window = uint8_t(type >> 8), low = uint8_t(type);
  size_t o = 0;
  while (o + 2 <= bytes.size()) {
    uint8_t w = bytes[o], len = bytes[o + 1];
    if (o + 2 + len > bytes.size()) return false;
    if (w == window) {
      size_t byte = low / 8;
      return byte < len && (bytes[o + 2 + byte] & (0x80 >> (low % 8))) != 0;
    }
    if (w > window) return false;
    o += 2 + size_t(len);
  }
  return false;
}

bool parseTypeBitmap(std::span<const uint8_t> bytes, TypeBitmap& out) {
  size_t o = 0;
  int last = -1;
  while (o < bytes.size()) {
    if (bytes.size() - o < 2) return false;
    uint8_t w = bytes[o], len = bytes[o + 1];
    if (int(w) <= last || len == 0 || len > 32 || bytes.size() - o - 2 < len) return false;
    last = w;
    o += 2 + size_t(len);
  }
  out.bytes = bytes;
  return true;
}

bool parseRrsig(std::span<const uint8_t> rdata, RrsigView& out) {
  if (rdata.size() < 18 + 1) return false;
  const uint8_t* p = rdata.data();
  out.typeCovered = u16(p);
  out.algorithm = p[2];
  out.labels = p[3];
  out.originalTtl = u32(p + 4);
  out.expiration = u32(p + 8);
  out.inception = u32(p + 12);
  out.keyTag = u16(p + 16);
  size_t o = 18;
  if (!readPlainName(rdata, o, out.signer)) return false;
  if (o == rdata.size()) return false;  // no signature
  out.signedPart = rdata.first(o);
  out.signature = rdata.subspan(o);
  return true;
}

bool parseDnskey(std::span<const uint8_t> rdata, DnskeyView& out) {
  if (rdata.size() < 5) return false;
  out.flags = u16(rdata.data());
  out.protocol = rdata[2];
  out.algorithm = rdata[3];
  out.publicKey = rdata.subspan(4);
  return true;
}

bool parseDs(std::span<const uint8_t> rdata, DsView& out) {
  if (rdata.size() < 5) return false;
  out.keyTag = u16(rdata.data());
  out.algorithm = rdata[2];
  out.digestType = rdata[3];
  out.digest = rdata.subspan(4);
  return true;
}

bool parseNsec(std::span<const uint8_t> rdata, NsecView& out) {
  size_t o = 0;
  if (!readPlainName(rdata, o, out.next)) return false;
  return parseTypeBitmap(rdata.subspan(o), out.types);
}

bool parseNsec3(std::span<const uint8_t> rdata, Nsec3View& out) {
  if (rdata.size() < 5) return false;
  out.hashAlgorithm = rdata[0];
  out.flags = rdata[1];
  out.iterations = u16(rdata.data() + 2);
  size_t saltLen = rdata[4], o = 5;
  if (rdata.size() - o < saltLen + 1) return false;
  out.salt = rdata.subspan(o, saltLen);
  o += saltLen;
  size_t hashLen = rdata[o++];
  if (hashLen == 0 || rdata.size() - o < hashLen) return false;
  out.nextHashed = rdata.subspan(o, hashLen);
  o += hashLen;
  return parseTypeBitmap(rdata.subspan(o), out.types);
}

bool parseNsec3Param(std::span<const uint8_t> rdata, Nsec3ParamView& out) {
  if (rdata.size() < 5) return false;
  out.hashAlgorithm = rdata[0];
  out.flags = rdata[1];
  out.iterations = u16(rdata.data() + 2);
  size_t saltLen = rdata[4];
  if (rdata.size() != 5 + saltLen) return false;
  out.salt = rdata.subspan(5, saltLen);
  return true;
}

uint16_t keyTag(std::span<const uint8_t> rdata) {
  uint32_t ac = 0;
  for (size_t i = 0; i < rdata.size(); ++i) ac += (i & 1) ? rdata[i] : uint32_t(rdata[i]) << 8;
  ac += (ac >> 16) & 0xffff;
  return uint16_t(ac & 0xffff);
}

bool serialBefore(uint32_t a, uint32_t b) {
  return a != b && int32_t(b - a) > 0;
}

}  // namespace ballast::backends::resolver::dnssec
