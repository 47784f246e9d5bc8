// SPDX-License-Identifier: GPL-2.0-only
#include "console/framing.hh"

#include <cstring>

namespace ballast::console {

FrameReader::Status FrameReader::next(std::span<const uint8_t>& frame) {
  // Drop what the previous call handed out, keeping the buffer from growing forever.
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 65536) {
    buf_.erase(buf_.begin(), buf_.begin() + std::ptrdiff_t(pos_));
    pos_ = 0;
  }
  if (buffered() < 4) return Status::NeedMore;
  const uint8_t* p = buf_.data() + pos_;
  size_t len = (size_t(p[0]) << 24) | (size_t(p[1]) << 16) | (size_t(p[2]) << 8) | size_t(p[3]);
  if (len > maxFrame_) return Status::TooLarge;
  if (buffered() < 4 + len) return Status::NeedMore;
  frame = std::span<const uint8_t>(p + 4, len);
  pos_ += 4 + len;
  return Status::Frame;
}

bool FrameReader::takeRaw(uint8_t* out, size_t n) {
  if (buffered() < n) return false;
  std::memcpy(out, buf_.data() + pos_, n);
  pos_ += n;
  return true;
}

}  // namespace ballast::console
