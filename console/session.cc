// SPDX-License-Identifier: GPL-2.0-only
#include "console/session.hh"

namespace ballast::console {

bool ServerSession::feed(std::span<const uint8_t> in, std::string& out) {
  reader_.feed(in);
  if (!channel_) {
    Nonce theirs;
    if (!reader_.takeRaw(theirs.data(), theirs.size())) return true;
    channel_.emplace(key_, ours_, theirs);
    out.append(reinterpret_cast<const char*>(ours_.data()), ours_.size());
  }
  for (;;) {
    std::span<const uint8_t> frame;
    switch (reader_.next(frame)) {
      case FrameReader::Status::NeedMore:
        return true;
      case FrameReader::Status::TooLarge:
        error_ = "message larger than the limit";
        return false;
      case FrameReader::Status::Frame:
        break;
    }
    if (!channel_->open(frame, plain_)) {
      error_ = "message does not decrypt (wrong key, replayed or altered)";
      return false;
    }
    bool failed = false;
    std::string reply = exec_(plain_, failed);
    ++commands_;
    out += channel_->seal(reply);
  }
}

}  // namespace ballast::console
