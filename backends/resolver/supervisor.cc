// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/supervisor.hh"

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "core/clock.hh"
#include "core/log.hh"

namespace ballast::backends::resolver {

RestartResult restartInstance(ResolverInstance& inst, const std::string& reason,
                              std::chrono::milliseconds drainBound,
                              std::chrono::milliseconds grace) {
  RestartResult res;
  int64_t t0 = core::monotonicUsec();
  auto admin = inst.admin();
  inst.setAdmin(core::Backend::Admin::Down);
  // A frontend that chose this instance just before reads no newer state: give its submit()
  // time to land, so the drain below sees it.
  std::this_thread::sleep_for(grace);
  auto deadline = std::chrono::steady_clock::now() + drainBound;
  // Health checks too: one cut short would count as a failure and could take the instance
  // out of its pool after the restart, while a sibling restarts in turn.
  while (inst.inFlight() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  res.leftInFlight = inst.outstanding();
  inst.stop();
  auto& life = inst.lifecycle();
  life.restarts.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard lock(life.mutex);
    life.lastReason = reason;
  }
  try {
    inst.start();
  } catch (const std::exception& e) {
    core::warnLog("resolver {}: restart ({}) failed, left down: {}", inst.name(), reason, e.what());
    throw std::runtime_error(fmt::format("{} did not start again: {}", inst.name(), e.what()));
  }
  inst.setAdmin(admin);
  res.downUsec = core::monotonicUsec() - t0;
  core::warnLog("resolver {}: restarted ({}), out of the pool for {} ms{}", inst.name(), reason,
                res.downUsec / 1000,
                res.leftInFlight
                    ? fmt::format(", {} queries still in flight were cut", res.leftInFlight)
                    : std::string());
  return res;
}

std::vector<std::shared_ptr<ResolverInstance>> instancesOf(
    const std::vector<std::shared_ptr<core::Backend>>& servers, const std::string& name) {
  std::vector<std::shared_ptr<ResolverInstance>> out;
  for (const auto& b : servers) {
    auto inst = std::dynamic_pointer_cast<ResolverInstance>(b);
    if (inst && inst->resolver()->config().name == name) out.push_back(inst);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a->index() < b->index(); });
  return out;
}

}  // namespace ballast::backends::resolver
