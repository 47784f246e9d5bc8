// SPDX-License-Identifier: GPL-2.0-only
#include "dns/ecs.hh"

#include <algorithm>
#include <cstring>

#include "dns/header.hh"

namespace ballast::dns {

namespace {

constexpr size_t kOptFixedSize = 11;  // root name, type, class, TTL, RDLENGTH

uint16_t get16(const uint8_t* p) {
  return uint16_t(p[0] << 8 | p[1]);
}

void set16(uint8_t* p, size_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}

size_t familyBits(uint16_t family) {
  return family == 1 ? 32 : family == 2 ? 128 : 0;
}

/// Drops the options `code` from the options at packet[start, start+length), moving what
/// follows (the rest of the packet up to len) down. Returns how many bytes went.
size_t dropOptions(uint8_t* packet, size_t len, size_t start, size_t length, uint16_t code) {
  size_t read = start, write = start, end = start + length;
  while (end - read >= 4) {
    size_t optLen = get16(packet + read + 2);
    size_t whole = std::min(4 + optLen, end - read);
    if (get16(packet + read) != code) {
      if (write != read) std::memmove(packet + write, packet + read, whole);
      write += whole;
    }
    read += whole;
  }
  size_t removed = read - write;
  if (removed) std::memmove(packet + write, packet + read, len - read);
  return removed;
}

}  // namespace

bool operator==(const ClientSubnet& a, const ClientSubnet& b) {
  return a.family == b.family && a.sourcePrefix == b.sourcePrefix &&
         a.scopePrefix == b.scopePrefix && std::memcmp(a.address, b.address, 16) == 0;
}

ClientSubnet makeClientSubnet(const uint8_t* addr, size_t addrLen, uint8_t prefix) {
  ClientSubnet s;
  s.family = addrLen == 4 ? 1 : 2;
  s.sourcePrefix = uint8_t(std::min<size_t>(prefix, addrLen * 8));
  size_t full = s.sourcePrefix / 8;
  std::memcpy(s.address, addr, full);
  if (unsigned rest = s.sourcePrefix % 8)
    s.address[full] = uint8_t(addr[full] & (0xff << (8 - rest)));
  return s;
}

bool parseClientSubnet(std::span<const uint8_t> data, ClientSubnet& out) {
  if (data.size() < 4) return false;
  ClientSubnet s;
  s.family = get16(data.data());
  s.sourcePrefix = data[2];
  s.scopePrefix = data[3];
  size_t bits = familyBits(s.family);
  if (!bits || s.sourcePrefix > bits || s.scopePrefix > bits) return false;
  size_t n = data.size() - 4;
  if (n != s.addressBytes()) return false;
  std::memcpy(s.address, data.data() + 4, n);
  // RFC 7871 section 6: the address is truncated to the prefix, the padding bits zero.
  if (unsigned rest = s.sourcePrefix % 8; rest && (s.address[n - 1] & (0xff >> rest))) return false;
  out = s;
  return true;
}

size_t writeClientSubnetOption(const ClientSubnet& s, uint8_t* out) {
  size_t n = s.addressBytes();
  set16(out, kEcsOptionCode);
  set16(out + 2, 4 + n);
  set16(out + 4, s.family);
  out[6] = s.sourcePrefix;
  out[7] = s.scopePrefix;
  std::memcpy(out + 8, s.address, n);
  return 8 + n;
}

EcsEdit addClientSubnet(uint8_t* packet, size_t& len, size_t capacity, const MessageView& m,
                        std::span<const uint8_t> option, bool override) {
  const Edns& e = m.edns();
  capacity = std::min<size_t>(capacity, 65535);
  if (!e.present) {
    size_t add = kOptFixedSize + option.size();
    size_t at = m.messageEnd();
    if (len + add > capacity) return EcsEdit::NoRoom;
    std::memmove(packet + at + add, packet + at, len - at);
    uint8_t* p = packet + at;
    p[0] = 0;  // the root name
    set16(p + 1, 41);
    set16(p + 3, kEcsAddedOptPayload);
    std::memset(p + 5, 0, 4);  // extended rcode, version, flags
    set16(p + 9, option.size());
    std::memcpy(p + kOptFixedSize, option.data(), option.size());
    HeaderRef(packet).setArcount(uint16_t(HeaderView(packet).arcount() + 1));
    len += add;
    return EcsEdit::AddedWithOpt;
  }
  bool had = false;
  forEachEdnsOption(m.ednsOptions(), [&](uint16_t code, std::span<const uint8_t>) {
    had = had || code == kEcsOptionCode;
  });
  if (had && !override) return EcsEdit::Kept;
  // Room is checked before anything moves, counting the old option as still there.
  if (len + option.size() > capacity || size_t(e.optionsLength) + option.size() > 65535)
    return EcsEdit::NoRoom;
  size_t removed =
      had ? dropOptions(packet, len, e.optionsOffset, e.optionsLength, kEcsOptionCode) : 0;
  len -= removed;
  size_t optionsLength = e.optionsLength - removed;
  size_t at = e.optionsOffset + optionsLength;
  std::memmove(packet + at + option.size(), packet + at, len - at);
  std::memcpy(packet + at, option.data(), option.size());
  set16(packet + e.optionsOffset - 2, optionsLength + option.size());
  len += option.size();
  return had ? EcsEdit::Replaced : EcsEdit::Added;
}

size_t removeEdnsOption(uint8_t* packet, size_t len, const MessageView& m, uint16_t code) {
  const Edns& e = m.edns();
  if (!e.present) return len;
  size_t removed = dropOptions(packet, len, e.optionsOffset, e.optionsLength, code);
  if (removed) set16(packet + e.optionsOffset - 2, e.optionsLength - removed);
  return len - removed;
}

size_t removeOptRecord(uint8_t* packet, size_t len, const MessageView& m) {
  const Edns& e = m.edns();
  if (!e.present) return len;
  size_t end = size_t(e.optionsOffset) + e.optionsLength;
  std::memmove(packet + e.recordOffset, packet + end, len - end);
  HeaderRef(packet).setArcount(uint16_t(HeaderView(packet).arcount() - 1));
  return len - (end - e.recordOffset);
}

bool findClientSubnet(const MessageView& m, ClientSubnet& out) {
  if (!m.edns().present) return false;
  bool found = false;
  forEachEdnsOption(m.ednsOptions(), [&](uint16_t code, std::span<const uint8_t> d) {
    if (!found && code == kEcsOptionCode) found = parseClientSubnet(d, out);
  });
  return found;
}

}  // namespace ballast::dns
