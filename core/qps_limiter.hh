// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// A token bucket: `rate` per second, bursting up to `burst`. Used for a server's qps limit.
#include <cstdint>
#include <mutex>

namespace ballast::core {

class QpsLimiter {
 public:
  QpsLimiter(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}
  /// Takes a token if one is available at `nowUsec`.
  bool check(int64_t nowUsec) {
    std::lock_guard lock(mutex_);
    refill(nowUsec);
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }
  /// Whether a token is available, without taking it.
  bool peek(int64_t nowUsec) {
    std::lock_guard lock(mutex_);
    refill(nowUsec);
    return tokens_ >= 1;
  }

 private:
  void refill(int64_t nowUsec) {
    if (last_ != 0 && nowUsec > last_) {
      tokens_ += rate_ * double(nowUsec - last_) / 1e6;
      if (tokens_ > burst_) tokens_ = burst_;
    }
    if (nowUsec > last_) last_ = nowUsec;
  }
  std::mutex mutex_;
  double rate_;
  double burst_;
  double tokens_;
  int64_t last_ = 0;
};

}  // namespace ballast::core
