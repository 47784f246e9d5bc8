// SPDX-License-Identifier: GPL-2.0-only
#include "daemon/drain.hh"

#include <thread>

#include "core/log.hh"

namespace ballast::daemon {

namespace {
uint64_t outstanding(const core::Runtime& rt) {
  uint64_t n = 0;
  for (const auto& b : rt.servers()) n += b->outstanding();
  return n;
}
}  // namespace

uint64_t drainBackends(core::Runtime& rt, std::chrono::milliseconds bound) {
  auto deadline = std::chrono::steady_clock::now() + bound;
  uint64_t left = outstanding(rt);
  uint64_t atStart = left;
  while (left > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    left = outstanding(rt);
  }
  if (left > 0)
    core::warnLog("ballast: {} queries still in flight after {} ms, stopping anyway", left,
                  bound.count());
  else if (atStart > 0)
    core::infoLog("ballast: {} queries in flight finished before stopping", atStart);
  return left;
}

}  // namespace ballast::daemon
