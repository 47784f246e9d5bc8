// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Publication of snapshots: how a new RuntimeConfig is made from the one before it (a
/// change, the pools rebuilt from a server list, what a reload carries over). The result
/// is published by Runtime (Published::publish) or kept by a staging until its commit.
#include <functional>
#include <memory>
#include <vector>

#include "core/backend.hh"
#include "core/packet_cache.hh"
#include "core/runtime_config.hh"

namespace ballast::core {

/// A copy of `base` edited by `change` (which may throw: then nothing was made).
std::shared_ptr<RuntimeConfig> editedCopy(const RuntimeConfig& base,
                                          const std::function<void(RuntimeConfig&)>& change);

/// A copy of `base` whose pools are rebuilt from `servers` (rebuildPools).
std::shared_ptr<RuntimeConfig> withPools(const RuntimeConfig& base,
                                         const std::vector<std::shared_ptr<Backend>>& servers);

/// What a reloaded snapshot `next` takes from the running one `old`: the dynamic blocks in
/// force, the rings (same size), and each pool's running cache when the file's cache for
/// it has the same options. The staged caches no pool replaced go to `fresh`; returns how
/// many running caches were kept.
size_t carryOver(RuntimeConfig& next, const RuntimeConfig& old,
                 const std::vector<std::shared_ptr<PacketCache>>& staged,
                 std::vector<std::shared_ptr<PacketCache>>& fresh);

}  // namespace ballast::core
