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
  for (auto& [name, p] : next) {
    // Sorted by order, as dnsdist keeps them: firstAvailable walks them in this order.
    std::vector<size_t> idx(p->owners.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
      return p->owners[a]->order() < p->owners[b]->order();
    });
    auto sorted = std::make_shared<Pool>();
    sorted->policy = p->policy;
    for (size_t i : idx) {
      sorted->owners.push_back(p->owners[i]);
      sorted->servers.push_back(p->owners[i].get());
    }
    cfg.pools.emplace(name, std::move(sorted));
  }
}

}  // namespace ballast::core
