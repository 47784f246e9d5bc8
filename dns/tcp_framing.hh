// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// DNS over a byte stream (TCP, TLS; RFC 1035 4.2.2, RFC 7766): each message is preceded
/// by its length, two bytes in network order. Pure functions over a buffer, no I/O.
#include <cstddef>
#include <cstdint>
#include <span>

namespace ballast::dns {

constexpr size_t kFrameHeaderSize = 2;

/// Walks the complete messages at the front of a buffer of received bytes.
class FrameReader {
 public:
  explicit FrameReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  /// The next complete message (possibly empty: a zero length is a frame too); false when
  /// what remains is empty or a frame not yet fully received.
  bool next(std::span<const uint8_t>& message) {
    size_t left = bytes_.size() - off_;
    if (left < kFrameHeaderSize) return false;
    size_t len = (size_t(bytes_[off_]) << 8) | bytes_[off_ + 1];
    if (left - kFrameHeaderSize < len) return false;
    message = bytes_.subspan(off_ + kFrameHeaderSize, len);
    off_ += kFrameHeaderSize + len;
    return true;
  }
  /// Bytes of the complete frames returned so far; the rest must be kept for later.
  size_t consumed() const { return off_; }

 private:
  std::span<const uint8_t> bytes_;
  size_t off_ = 0;
};

/// Writes the two-byte length of a message of `len` bytes (at most 65535) at `out`.
inline void writeFrameHeader(uint8_t* out, size_t len) {
  out[0] = uint8_t(len >> 8);
  out[1] = uint8_t(len & 0xff);
}

}  // namespace ballast::dns
