// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Domain names: an owned, uncompressed wire-format Name, and NameRef, a view of a
/// (possibly compressed) name inside a packet. Comparison and hashing ignore ASCII case.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "dns/parse_error.hh"

namespace ballast::dns {

constexpr size_t kMaxNameLength = 255;  ///< wire length, including the root label
constexpr size_t kMaxLabelLength = 63;

/// Validates the name at `offset` in `packet`, a whole DNS message starting with its header
/// (following compression pointers, which must point strictly backwards, each before the
/// previous target, never into the header, with at most 127 hops), and advances `offset` past
/// the name as it stands in the packet. When `out` is not null it receives the
/// uncompressed wire form (at most kMaxNameLength bytes) and `*outLen` its length.
ParseError readName(std::span<const uint8_t> packet, size_t& offset, uint8_t* out = nullptr,
                    size_t* outLen = nullptr);

/// An owned name in uncompressed wire format, at most 255 bytes. Trivially copyable.
class Name {
 public:
  Name();  ///< the root name "."
  /// Parses presentation format ("www.example.com", trailing dot optional, "\DDD" and
  /// "\X" escapes). Throws std::invalid_argument with the reason on bad input.
  static Name fromString(std::string_view text);
  /// From uncompressed wire bytes; throws std::invalid_argument if malformed.
  static Name fromWire(std::span<const uint8_t> wire);

  std::string toString() const;  ///< "www.example.com." ("." for root), escaping as needed
  std::span<const uint8_t> wire() const { return {wire_, len_}; }
  size_t wireLength() const { return len_; }
  size_t labelCount() const;  ///< root has 0
  bool isRoot() const { return len_ == 1; }
  /// True when this name equals `zone` or lies below it (case-insensitive).
  bool isPartOf(const Name& zone) const;
  Name toLower() const;
  /// Hash that ignores ASCII case; equal names (by ==) hash equal.
  size_t hash() const;

  friend bool operator==(const Name& a, const Name& b);  ///< case-insensitive
  /// Canonical DNS ordering (RFC 4034 6.1), case-insensitive; for sorted containers.
  friend bool operator<(const Name& a, const Name& b);

 private:
  friend class NameRef;  // decompresses straight into wire_
  uint8_t len_ = 1;
  uint8_t wire_[kMaxNameLength] = {0};
};

struct NameHash {
  size_t operator()(const Name& n) const { return n.hash(); }
};

/// A name inside a packet, referred to by offset; valid while the packet is. Only make one
/// from a name readName() accepted.
class NameRef {
 public:
  NameRef() = default;
  NameRef(std::span<const uint8_t> packet, uint16_t offset) : packet_(packet), offset_(offset) {}
  uint16_t offset() const { return offset_; }
  /// Writes the uncompressed wire form into out (kMaxNameLength bytes); returns its length.
  size_t decompress(uint8_t* out) const;
  Name toName() const;
  /// The same, written over `out` (no temporary: for names kept in place, as the rings').
  void toName(Name& out) const;
  std::string toString() const;
  /// Case-insensitive comparisons and hash, without copying; hash() equals Name::hash().
  bool equals(const Name& other) const;
  bool equals(const NameRef& other) const;
  /// Same as equals(Name) against uncompressed wire bytes (false if they are malformed).
  bool equalsWire(std::span<const uint8_t> wire) const;
  size_t hash() const;
  size_t labelCount() const;
  /// Bytes the name occupies at its offset (up to and including a pointer or the root).
  size_t inPacketLength() const;

 private:
  std::span<const uint8_t> packet_;
  uint16_t offset_ = 0;
};

}  // namespace ballast::dns
