// SPDX-License-Identifier: GPL-2.0-only
#include "core/reload_plan.hh"

#include <algorithm>

namespace ballast::core {

std::vector<std::shared_ptr<Backend>> matchServers(
    const std::vector<std::shared_ptr<Backend>>& running,
    const std::vector<std::shared_ptr<Backend>>& desired) {
  std::vector<bool> taken(running.size(), false);
  std::vector<std::shared_ptr<Backend>> out;
  out.reserve(desired.size());
  for (const auto& d : desired) {
    std::shared_ptr<Backend> match;
    if (!d->reloadKey.empty()) {
      for (size_t i = 0; i < running.size(); ++i) {
        if (taken[i] || running[i]->reloadKey != d->reloadKey) continue;
        taken[i] = true;
        match = running[i];
        break;
      }
    }
    out.push_back(std::move(match));
  }
  return out;
}

std::vector<std::shared_ptr<Backend>> unmatchedServers(
    const std::vector<std::shared_ptr<Backend>>& running,
    const std::vector<std::shared_ptr<Backend>>& matches) {
  std::vector<std::shared_ptr<Backend>> out;
  for (const auto& r : running)
    if (std::find(matches.begin(), matches.end(), r) == matches.end()) out.push_back(r);
  return out;
}

void adoptAttributes(Backend& running, const Backend& desired) {
  running.setPools(desired.pools());
  running.setWeight(desired.weight());
  running.setQpsLimit(desired.qpsLimit());
  running.setAdmin(desired.admin());
}

bool sameCacheOptions(const PacketCacheOptions& a, const PacketCacheOptions& b) {
  return a.maxEntries == b.maxEntries && a.maxTTL == b.maxTTL && a.minTTL == b.minTTL &&
         a.temporaryFailureTTL == b.temporaryFailureTTL && a.staleTTL == b.staleTTL &&
         a.maxNegativeTTL == b.maxNegativeTTL && a.dontAge == b.dontAge && a.shards == b.shards &&
         a.keepStaleData == b.keepStaleData && a.cookieHashing == b.cookieHashing &&
         a.deferrableInsertLock == b.deferrableInsertLock && a.skipOptions == b.skipOptions &&
         a.tier == b.tier && a.parseEcs == b.parseEcs;
}

}  // namespace ballast::core
