// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The Redis tier's circuit breaker, on a clock passed in. It opens when, within the current
/// window, at least `minFailures` lookups failed and they are at least `percent` of the
/// lookups that ended: a burst of timeouts from one stall under load (a few dozen out of
/// thousands) leaves it closed, a Redis that stopped answering opens it within a few
/// lookups. Open, it refuses lookups for `openUsec`, then lets them through (half-open): the
/// first success closes it, a failure opens it again.
///
/// failure() and success() are called on one thread (the tier's); allows() on any.
#include <atomic>
#include <cstdint>

namespace ballast::tier {

struct BreakerSettings {
  int minFailures = 3;
  int percent = 50;
  int64_t windowUsec = 1000000;
  int64_t openUsec = 1000000;
};

class Breaker {
 public:
  using Settings = BreakerSettings;
  explicit Breaker(Settings s = {}) : s_(s) {}

  /// Closed, or open for long enough that a lookup may try (half-open).
  bool allows(int64_t nowUsec) const {
    return !open_.load(std::memory_order_relaxed) ||
           nowUsec >= retryAtUsec_.load(std::memory_order_relaxed);
  }
  bool open() const { return open_.load(std::memory_order_relaxed); }

  /// A lookup failed; true when this opened the breaker.
  bool failure(int64_t nowUsec) {
    if (open()) {  // a half-open try failed: wait again
      retryAtUsec_.store(nowUsec + s_.openUsec, std::memory_order_relaxed);
      return false;
    }
    roll(nowUsec);
    ++ends_;
    ++failures_;
    if (failures_ < s_.minFailures || int64_t(failures_) * 100 < int64_t(ends_) * s_.percent)
      return false;
    retryAtUsec_.store(nowUsec + s_.openUsec, std::memory_order_relaxed);
    open_.store(true, std::memory_order_relaxed);
    return true;
  }

  /// A lookup got an answer; true when this closed the breaker.
  bool success(int64_t nowUsec) {
    if (open()) {
      open_.store(false, std::memory_order_relaxed);
      windowStartUsec_ = nowUsec;
      ends_ = failures_ = 0;
      return true;
    }
    roll(nowUsec);
    ++ends_;
    return false;
  }

 private:
  void roll(int64_t nowUsec) {
    if (nowUsec - windowStartUsec_ < s_.windowUsec) return;
    windowStartUsec_ = nowUsec;
    ends_ = failures_ = 0;
  }

  Settings s_;
  std::atomic<bool> open_{false};
  std::atomic<int64_t> retryAtUsec_{0};
  int64_t windowStartUsec_ = 0;
  int ends_ = 0;
  int failures_ = 0;
};

}  // namespace ballast::tier
