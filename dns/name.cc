// SPDX-License-Identifier: GPL-2.0-only
#include "dns/name.hh"

#include "dns/header.hh"

#include <array>
#include <cstring>
#include <stdexcept>
#include <type_traits>

namespace ballast::dns {

static_assert(std::is_trivially_copyable_v<Name>, "Name is copied around by value freely");

namespace {

constexpr std::array<uint8_t, 256> makeLowerTable() {
  std::array<uint8_t, 256> t{};
  for (unsigned i = 0; i < 256; ++i) t[i] = uint8_t(i >= 'A' && i <= 'Z' ? i + 32 : i);
  return t;
}
// A table beats the branchy form in the hash and compare loops, which run per query.
constexpr auto kLower = makeLowerTable();

// FNV-1a, 64-bit: fast on short keys, no allocation, and equal for a Name and a NameRef as
// long as both feed the same lowercased wire bytes (length bytes included).
constexpr uint64_t kFnvOffset = 14695981039346656037ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;
inline uint64_t fnv(uint64_t h, uint8_t b) {
  return (h ^ b) * kFnvPrime;
}

bool equalIgnoreCase(const uint8_t* a, const uint8_t* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (kLower[a[i]] != kLower[b[i]]) return false;
  }
  return true;
}

// Walks the labels of a name inside a packet, following pointers. NameRef is only made from
// names readName() accepted, but the walker still bounds every read (and the hop count) so a
// misuse truncates the name instead of reading outside the packet.
class LabelWalker {
 public:
  LabelWalker(std::span<const uint8_t> packet, size_t offset) : p_(packet), pos_(offset) {}

  /// Next label, or false at the root.
  bool next(const uint8_t*& data, uint8_t& len) {
    while (pos_ < p_.size()) {
      uint8_t b = p_[pos_];
      if (b == 0) return false;
      if ((b & 0xc0) == 0xc0) {
        if (pos_ + 1 >= p_.size()) return false;
        size_t target = size_t((b & 0x3f) << 8) | p_[pos_ + 1];
        if (target >= pos_ || ++hops_ > 127) return false;
        pos_ = target;
        continue;
      }
      if ((b & 0xc0) != 0 || p_.size() - pos_ - 1 < b) return false;
      total_ += 1 + b;
      if (total_ > kMaxNameLength) return false;
      data = p_.data() + pos_ + 1;
      len = b;
      pos_ += 1 + b;
      return true;
    }
    return false;
  }

 private:
  std::span<const uint8_t> p_;
  size_t pos_;
  size_t total_ = 1;  // the root byte
  unsigned hops_ = 0;
};

[[noreturn]] void invalid(std::string_view text, const char* why) {
  throw std::invalid_argument("invalid name '" + std::string(text) + "': " + why);
}

}  // namespace

ParseError readName(std::span<const uint8_t> packet, size_t& offset, uint8_t* out, size_t* outLen) {
  const uint8_t* p = packet.data();
  size_t pos = offset;
  // Bytes of the name must lie before `limit`: the packet's end, then, once a pointer is
  // followed, that pointer's own position. A real encoder only points at names written
  // before the current one, so this costs nothing legitimate, and it guarantees the name
  // reached through a pointer never runs into or past the pointer (a loop, or a name whose
  // tail is a later record that an in-place edit may drop).
  size_t limit = packet.size();
  size_t end = 0;         // where the name stops in the packet: after its first pointer
  size_t lastTarget = 0;  // pointer targets must also strictly decrease
  size_t total = 0;       // uncompressed length so far, without the root byte
  unsigned hops = 0;
  for (;;) {
    if (pos >= limit) return hops > 0 ? ParseError::CompressionLoop : ParseError::TooShort;
    uint8_t b = p[pos];
    if (b == 0) break;
    switch (b & 0xc0) {
      case 0xc0: {
        if (limit - pos < 2) return hops > 0 ? ParseError::CompressionLoop : ParseError::TooShort;
        size_t target = size_t((b & 0x3f) << 8) | p[pos + 1];
        if (target >= pos) return ParseError::ForwardPointer;
        // Header bytes read as labels would change meaning whenever the header is edited
        // in place (makeResponseInPlace), so no name may live there.
        if (target < kHeaderSize) return ParseError::PointerIntoHeader;
        if (hops > 0 && target >= lastTarget) return ParseError::CompressionLoop;
        if (++hops > 127) return ParseError::CompressionLoop;
        if (hops == 1) end = pos + 2;
        lastTarget = target;
        limit = pos;
        pos = target;
        continue;
      }
      case 0x40:
        return ParseError::LabelTooLong;
      case 0x80:
        return ParseError::BadLabelType;
      default:
        break;
    }
    if (limit - pos - 1 < b) return hops > 0 ? ParseError::CompressionLoop : ParseError::TooShort;
    if (total + 1 + b + 1 > kMaxNameLength) return ParseError::NameTooLong;
    if (out != nullptr) std::memcpy(out + total, p + pos, 1 + size_t(b));
    total += 1 + size_t(b);
    pos += 1 + size_t(b);
  }
  if (out != nullptr) out[total] = 0;
  if (outLen != nullptr) *outLen = total + 1;
  offset = hops > 0 ? end : pos + 1;
  return ParseError::None;
}

// ---- Name ----

Name::Name() = default;

Name Name::fromString(std::string_view text) {
  if (text.empty()) invalid(text, "empty");
  Name n;
  if (text == ".") return n;
  size_t w = 0;  // index of the current label's length byte
  size_t labelLen = 0;
  auto closeLabel = [&] {
    if (labelLen == 0) invalid(text, "empty label");
    n.wire_[w] = uint8_t(labelLen);
    w += 1 + labelLen;
    labelLen = 0;
  };
  auto append = [&](uint8_t b) {
    if (labelLen == kMaxLabelLength) invalid(text, "label longer than 63 bytes");
    size_t at = w + 1 + labelLen;
    // Leave room for the root byte: the last label byte may sit at index 253 at most.
    if (at + 1 >= kMaxNameLength) invalid(text, "name longer than 255 bytes");
    n.wire_[at] = b;
    ++labelLen;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.') {
      closeLabel();
      continue;
    }
    if (c != '\\') {
      append(uint8_t(c));
      continue;
    }
    if (i + 1 >= text.size()) invalid(text, "dangling backslash");
    char e = text[i + 1];
    if (e < '0' || e > '9') {
      append(uint8_t(e));
      ++i;
      continue;
    }
    unsigned v = 0;
    for (size_t k = 1; k <= 3; ++k) {
      if (i + k >= text.size() || text[i + k] < '0' || text[i + k] > '9') {
        invalid(text, "\\DDD escape needs three digits");
      }
      v = v * 10 + unsigned(text[i + k] - '0');
    }
    if (v > 255) invalid(text, "\\DDD escape over 255");
    append(uint8_t(v));
    i += 3;
  }
  if (labelLen > 0) closeLabel();
  n.wire_[w] = 0;
  n.len_ = uint8_t(w + 1);
  return n;
}

Name Name::fromWire(std::span<const uint8_t> wire) {
  if (wire.empty() || wire.size() > kMaxNameLength) {
    throw std::invalid_argument("invalid wire name: bad length");
  }
  size_t pos = 0;
  while (pos < wire.size() && wire[pos] != 0) {
    uint8_t b = wire[pos];
    if (b > kMaxLabelLength) {
      throw std::invalid_argument("invalid wire name: compression pointer or bad label");
    }
    pos += 1 + size_t(b);
  }
  if (pos + 1 != wire.size()) {
    throw std::invalid_argument("invalid wire name: does not end with the root label");
  }
  Name n;
  std::memcpy(n.wire_, wire.data(), wire.size());
  n.len_ = uint8_t(wire.size());
  return n;
}

std::string Name::toString() const {
  if (isRoot()) return ".";
  std::string s;
  s.reserve(len_);
  for (size_t pos = 0; wire_[pos] != 0; pos += 1 + size_t(wire_[pos])) {
    for (size_t i = pos + 1; i <= pos + wire_[pos]; ++i) {
      uint8_t c = wire_[i];
      if (c == '.' || c == '\\') {
        s += '\\';
        s += char(c);
      } else if (c <= 0x20 || c >= 0x7f) {
        // \DDD keeps the output one token per name for logs and zone-file-style dumps.
        s += '\\';
        s += char('0' + c / 100);
        s += char('0' + c / 10 % 10);
        s += char('0' + c % 10);
      } else {
        s += char(c);
      }
    }
    s += '.';
  }
  return s;
}

size_t Name::labelCount() const {
  size_t n = 0;
  for (size_t pos = 0; wire_[pos] != 0; pos += 1 + size_t(wire_[pos])) ++n;
  return n;
}

bool Name::isPartOf(const Name& zone) const {
  size_t mine = labelCount(), theirs = zone.labelCount();
  if (theirs > mine) return false;
  size_t pos = 0;
  for (size_t skip = mine - theirs; skip > 0; --skip) pos += 1 + size_t(wire_[pos]);
  // Length bytes are at most 63, below 'A', so a case-folding compare leaves them exact.
  return len_ - pos == zone.len_ && equalIgnoreCase(wire_ + pos, zone.wire_, zone.len_);
}

Name Name::toLower() const {
  Name n = *this;
  for (size_t i = 0; i < len_; ++i) n.wire_[i] = kLower[wire_[i]];
  return n;
}

size_t Name::hash() const {
  uint64_t h = kFnvOffset;
  for (size_t i = 0; i < len_; ++i) h = fnv(h, kLower[wire_[i]]);
  return size_t(h);
}

bool operator==(const Name& a, const Name& b) {
  return a.len_ == b.len_ && equalIgnoreCase(a.wire_, b.wire_, a.len_);
}

bool operator<(const Name& a, const Name& b) {
  // RFC 4034 6.1 compares from the rightmost label, so index the labels first.
  uint8_t la[128], lb[128];
  size_t na = 0, nb = 0;
  for (size_t p = 0; a.wire_[p] != 0; p += 1 + size_t(a.wire_[p])) la[na++] = uint8_t(p);
  for (size_t p = 0; b.wire_[p] != 0; p += 1 + size_t(b.wire_[p])) lb[nb++] = uint8_t(p);
  while (na > 0 && nb > 0) {
    const uint8_t* x = a.wire_ + la[--na];
    const uint8_t* y = b.wire_ + lb[--nb];
    size_t common = x[0] < y[0] ? x[0] : y[0];
    for (size_t i = 1; i <= common; ++i) {
      if (kLower[x[i]] != kLower[y[i]]) return kLower[x[i]] < kLower[y[i]];
    }
    if (x[0] != y[0]) return x[0] < y[0];
  }
  return na < nb;
}

// ---- NameRef ----

size_t NameRef::decompress(uint8_t* out) const {
  LabelWalker w(packet_, offset_);
  const uint8_t* data = nullptr;
  uint8_t len = 0;
  size_t n = 0;
  while (w.next(data, len)) {
    out[n] = len;
    std::memcpy(out + n + 1, data, len);
    n += 1 + size_t(len);
  }
  out[n] = 0;
  return n + 1;
}

Name NameRef::toName() const {
  Name n;
  n.len_ = uint8_t(decompress(n.wire_));
  return n;
}

void NameRef::toName(Name& out) const {
  out.len_ = uint8_t(decompress(out.wire_));
}

std::string NameRef::toString() const {
  return toName().toString();
}

bool NameRef::equals(const Name& other) const {
  return equalsWire(other.wire());
}

bool NameRef::equalsWire(std::span<const uint8_t> wire) const {
  LabelWalker w(packet_, offset_);
  const uint8_t* data = nullptr;
  uint8_t len = 0;
  size_t pos = 0;
  while (w.next(data, len)) {
    if (pos >= wire.size() || wire[pos] != len || wire.size() - pos - 1 < len) return false;
    if (!equalIgnoreCase(data, wire.data() + pos + 1, len)) return false;
    pos += 1 + size_t(len);
  }
  return pos < wire.size() && wire[pos] == 0;
}

bool NameRef::equals(const NameRef& other) const {
  if (packet_.data() == other.packet_.data() && offset_ == other.offset_) return true;
  LabelWalker a(packet_, offset_), b(other.packet_, other.offset_);
  const uint8_t *da = nullptr, *db = nullptr;
  uint8_t la = 0, lb = 0;
  for (;;) {
    bool ha = a.next(da, la), hb = b.next(db, lb);
    if (ha != hb) return false;
    if (!ha) return true;
    if (la != lb || !equalIgnoreCase(da, db, la)) return false;
  }
}

size_t NameRef::hash() const {
  LabelWalker w(packet_, offset_);
  const uint8_t* data = nullptr;
  uint8_t len = 0;
  uint64_t h = kFnvOffset;
  while (w.next(data, len)) {
    h = fnv(h, len);
    for (size_t i = 0; i < len; ++i) h = fnv(h, kLower[data[i]]);
  }
  return size_t(fnv(h, 0));
}

size_t NameRef::labelCount() const {
  LabelWalker w(packet_, offset_);
  const uint8_t* data = nullptr;
  uint8_t len = 0;
  size_t n = 0;
  while (w.next(data, len)) ++n;
  return n;
}

size_t NameRef::inPacketLength() const {
  size_t pos = offset_;
  while (pos < packet_.size()) {
    uint8_t b = packet_[pos];
    if (b == 0) return pos + 1 - offset_;
    if ((b & 0xc0) == 0xc0) return pos + 2 - offset_;
    pos += 1 + size_t(b);
  }
  return packet_.size() > offset_ ? packet_.size() - offset_ : 0;
}

}  // namespace ballast::dns
