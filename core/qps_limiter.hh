// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// A token bucket: `rate` per second, bursting up to `burst`. Used for a server's qps limit;
/// the rate can change while queries flow (setQPS).
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
  /// New rate and burst; the bucket starts full again.
  void setRate(double rate, double burst) {
    std::lock_guard lock(mutex_);
    rate_ = rate;
    burst_ = burst;
    tokens_ = burst;
    last_ = 0;
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
