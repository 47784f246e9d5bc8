// SPDX-License-Identifier: GPL-2.0-only
#include "core/snapshots.hh"

#include <algorithm>
#include <unordered_map>

#include "core/reload_plan.hh"

namespace ballast::core {

std::shared_ptr<RuntimeConfig> editedCopy(const RuntimeConfig& base,
                                          const std::function<void(RuntimeConfig&)>& change) {
  auto next = std::make_shared<RuntimeConfig>(base);
  change(*next);
  return next;
}

std::shared_ptr<RuntimeConfig> withPools(const RuntimeConfig& base,
                                         const std::vector<std::shared_ptr<Backend>>& servers) {
  auto next = std::make_shared<RuntimeConfig>(base);
  rebuildPools(*next, servers);
  return next;
}

namespace {

/// Pools whose new cache has the options of the cache the pool has now keep the running
/// one; returns how many did. The new caches that stay go to `fresh`.
size_t keepRunningCaches(RuntimeConfig& next, const RuntimeConfig& old,
                         const std::vector<std::shared_ptr<PacketCache>>& staged,
                         std::vector<std::shared_ptr<PacketCache>>& fresh) {
  std::unordered_map<PacketCache*, PacketCache*> replace;
  std::vector<PacketCache*> used;
  for (const auto& [name, pool] : next.pools) {
    if (!pool->cache || replace.count(pool->cache)) continue;
    const Pool* before = old.findPool(name);
    PacketCache* running = before ? before->cache : nullptr;
    if (!running || std::find(used.begin(), used.end(), running) != used.end()) continue;
    if (!sameCacheOptions(running->options(), pool->cache->options())) continue;
    replace[pool->cache] = running;
    used.push_back(running);
  }
  for (auto& [name, pool] : next.pools) {
    auto it = pool->cache ? replace.find(pool->cache) : replace.end();
    if (it == replace.end()) continue;
    auto copy = std::make_shared<Pool>(*pool);
    copy->cache = it->second;
    pool = std::move(copy);
  }
  for (const auto& c : staged)
    if (!replace.count(c.get())) fresh.push_back(c);
  return used.size();
}

}  // namespace

size_t carryOver(RuntimeConfig& next, const RuntimeConfig& old,
                 const std::vector<std::shared_ptr<PacketCache>>& staged,
                 std::vector<std::shared_ptr<PacketCache>>& fresh) {
  size_t kept = keepRunningCaches(next, old, staged, fresh);
  next.dynBlocks = old.dynBlocks;
  if (next.rings->capacity() == old.rings->capacity() &&
      next.rings->shardCount() == old.rings->shardCount())
    next.rings = old.rings;
  return kept;
}

}  // namespace ballast::core
