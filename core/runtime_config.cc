// SPDX-License-Identifier: GPL-2.0-only
#include "core/runtime_config.hh"

#include <algorithm>

namespace ballast::core {

std::shared_ptr<const Policy> bindPolicy(const std::shared_ptr<const Policy>& p,
                                         const PolicySettings& s) {
  if (!p) return p;
  auto made = makePolicy(p->name(), s);
  return made ? made : p;
}

void rebindPolicies(RuntimeConfig& cfg) {
  cfg.policy = bindPolicy(cfg.policy, cfg.policySettings);
  for (auto& [name, pool] : cfg.pools) {
    if (!pool->policy) continue;
    auto copy = std::make_shared<Pool>(*pool);
    copy->policy = bindPolicy(pool->policy, cfg.policySettings);
    pool = std::move(copy);
  }
}

void setPoolPolicy(RuntimeConfig& cfg, const std::string& name, std::shared_ptr<const Policy> p) {
  auto& slot = cfg.pools[name];
  auto copy = slot ? std::make_shared<Pool>(*slot) : std::make_shared<Pool>();
  copy->policy = bindPolicy(p, cfg.policySettings);
  slot = std::move(copy);
}

void rebuildPools(RuntimeConfig& cfg, const std::vector<std::shared_ptr<Backend>>& servers) {
  std::unordered_map<std::string, std::shared_ptr<Pool>> next;
  for (const auto& [name, pool] : cfg.pools) {
    auto p = std::make_shared<Pool>();
    p->policy = pool->policy;
    p->cache = pool->cache;
    p->ecs = pool->ecs;
    next.emplace(name, std::move(p));
  }
  auto addTo = [&](const std::string& poolName, const std::shared_ptr<Backend>& b) {
    auto& p = next[poolName];
    if (!p) p = std::make_shared<Pool>();
    p->owners.push_back(b);
    p->servers.push_back(b.get());
    p->serversWantEcs = p->serversWantEcs || b->useClientSubnet;
    if (b->useClientSubnet && b->disableZeroScope) p->ecsZeroScopeAllowed = false;
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
