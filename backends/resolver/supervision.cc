// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/supervision.hh"

#include <algorithm>

namespace ballast::backends::resolver {

Failure judge(const InstanceProbe& p, int64_t nowUsec, const SupervisionSettings& s,
              std::string& reason) {
  if (p.threw) {
    reason = "threw: " + p.what;
    return Failure::Threw;
  }
  // An idle loop may sleep between its timer ticks; only a loop with work must show life.
  if (p.hasWork && nowUsec - p.heartbeatUsec > s.heartbeatTimeoutMs * 1000) {
    reason = "hung";
    return Failure::Hung;
  }
  if (p.maxMemoryBytes > 0 && p.memoryBytes > p.maxMemoryBytes) {
    reason = "memory";
    return Failure::Memory;
  }
  return Failure::None;
}

int64_t RestartBackoff::failed(int64_t nowUsec) {
  bool stable = nowUsec - startedUsec_ >= s_.stableMs * 1000;
  if (lastDelayUsec_ == 0 || stable)
    lastDelayUsec_ = s_.minBackoffMs * 1000;
  else
    lastDelayUsec_ = std::min(lastDelayUsec_ * 2, s_.maxBackoffMs * 1000);
  return lastDelayUsec_;
}

}  // namespace ballast::backends::resolver
