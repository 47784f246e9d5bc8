// SPDX-License-Identifier: GPL-2.0-only
#include "core/runtime_config.hh"

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
  for (auto& [name, p] : next) cfg.pools.emplace(name, std::move(p));
}

}  // namespace ballast::core
