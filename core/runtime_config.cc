// SPDX-License-Identifier: GPL-2.0-only
#include "core/runtime_config.hh"

#include <algorithm>

namespace ballast::core {

void rebuildPools(RuntimeConfig& cfg, const std::vector<std::shared_ptr<Backend>>& servers) {
  std::unordered_map<std::string, std::shared_ptr<Pool>> next;
  for (const auto& [name, pool] : cfg.pools) {
    auto p = std::make_shared<Pool>();
    p->policy = pool->policy;
    next.emplace(name, std::move(p));
  }
  auto addTo = [&](const std::string& poolName, const std::shared_ptr<Backend>& b) {
    auto& p = next[poolName];
    if (!p) p = std::make_shared<Pool>();
    p->owners.push_back(b);
    p->servers.push_back(b.get());
  };
  for (const auto& b : servers) {
    if (b->pools().empty()) addTo("", b);
    for (const auto& pool : b->pools()) addTo(pool, b);
  }
  cfg.pools.clear();
  for (auto& entry : next) {
    Pool& p = *entry.second;
    // Sorted by order, as dnsdist keeps them: firstAvailable walks them in this order.
    std::stable_sort(p.owners.begin(), p.owners.end(),
                     [](const auto& a, const auto& b) { return a->order() < b->order(); });
    for (size_t i = 0; i < p.owners.size(); ++i) p.servers[i] = p.owners[i].get();
    cfg.pools.emplace(entry.first, std::move(entry.second));
  }
}

}  // namespace ballast::core
