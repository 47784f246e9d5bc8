// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Monotonic time in microseconds. Code that makes decisions on time (timeouts, expiry)
/// takes `now` as a parameter so unit tests pass their own; only threads' loops call this.
#include <cstdint>
#include <ctime>

namespace ballast::core {

inline int64_t monotonicUsec() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

/// Wall-clock seconds: only for what other processes must read the same way (the shared
/// cache tier's insertion times).
inline uint64_t unixSeconds() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return uint64_t(ts.tv_sec);
}

}  // namespace ballast::core
