// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Restarting embedded resolver instances without losing queries (restartResolver,
/// restartResolvers): each instance is taken out of its pool's choices, drained, stopped,
/// started afresh and put back, one at a time, so its siblings carry the load meanwhile.
/// The record cache is the Resolver's and survives every restart.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "backends/resolver/instance.hh"

namespace ballast::backends::resolver {

struct RestartResult {
  uint32_t leftInFlight = 0;  ///< queries still in flight when the drain bound ran out
  int64_t downUsec = 0;       ///< how long the instance was out of its pool
};

/// Restarts one instance: down for the policies, waits `grace` for queries already routed
/// to it to arrive, waits up to `drainBound` for those in flight, then stop() and start().
/// Its administrative state is restored afterwards. Counted in its lifecycle with `reason`
/// and logged. Throws std::runtime_error if the instance cannot start again (it stays down).
RestartResult restartInstance(ResolverInstance& inst, const std::string& reason,
                              std::chrono::milliseconds drainBound,
                              std::chrono::milliseconds grace = std::chrono::milliseconds(50));

/// The instances of resolver `name` among `servers`, in index order.
std::vector<std::shared_ptr<ResolverInstance>> instancesOf(
    const std::vector<std::shared_ptr<core::Backend>>& servers, const std::string& name);

}  // namespace ballast::backends::resolver
