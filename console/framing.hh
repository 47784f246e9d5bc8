// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Splits a console byte stream into messages: a 4-byte big-endian length, then that many
/// bytes. Lengths above the limit are refused before anything is buffered for them.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace ballast::console {

class FrameReader {
 public:
  enum class Status { NeedMore, Frame, TooLarge };

  explicit FrameReader(size_t maxFrame) : maxFrame_(maxFrame) {}

  /// Appends received bytes.
  void feed(std::span<const uint8_t> bytes) { buf_.insert(buf_.end(), bytes.begin(), bytes.end()); }
  /// The next complete message, valid until the next call; or why there is none.
  Status next(std::span<const uint8_t>& frame);
  /// Takes `n` raw bytes (the peer's nonce) from the front; false if fewer are buffered.
  bool takeRaw(uint8_t* out, size_t n);
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  size_t maxFrame_;
  std::vector<uint8_t> buf_;
  size_t pos_ = 0;  // start of the unread bytes in buf_
};

}  // namespace ballast::console
