// SPDX-License-Identifier: GPL-2.0-only
/// Pools and the policy knobs: getPool, showPools, setPoolServerPolicy, the policies that
/// bind_servers.cc does not create (wrandom, whashed, chashed) and their settings.
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "lua/binding.hh"
#include "lua/bindings.hh"
#include "lua/userdata.hh"

namespace ballast::lua {

namespace {

const char kPoolMeta[] = "ballast.Pool";
const char kPolicyMeta[] = "ballast.ServerPolicy";  // created by registerServerBindings
const char kServerMeta[] = "ballast.Server";        // likewise

using PolicyRef = std::shared_ptr<const core::Policy>;

void pushPolicy(lua_State* L, PolicyRef p) {
  pushUserdata(L, kPolicyMeta, std::move(p));
}

/// Sets every policy global again, made with `s`, so that a later
/// setServerPolicy(whashed) uses the knobs set before it.
void setPolicyGlobals(lua_State* L, const core::PolicySettings& s) {
  for (const char* name : core::policyNames()) {
    pushPolicy(L, core::makePolicy(name, s));
    lua_setglobal(L, name);
  }
}

/// Changes one knob, remakes the policies in use and the Lua globals with it.
template <typename F>
void changeSettings(lua_State* L, Host& h, F edit) {
  core::PolicySettings now;
  h.target().update([&](core::RuntimeConfig& c) {
    edit(c.policySettings);
    core::rebindPolicies(c);
    now = c.policySettings;
  });
  setPolicyGlobals(L, now);
}

const std::string& checkPool(lua_State* L, int idx) {
  return checkUserdata<std::string>(L, idx, kPoolMeta);
}

/// getPool(name): the pool of that name, created empty if it does not exist (as dnsdist).
int getPool(lua_State* L, Host& h) {
  std::string name = checkString(L, 1, "getPool", "a pool name");
  h.target().update([&](core::RuntimeConfig& c) {
    if (!c.findPool(name)) c.pools.emplace(name, std::make_shared<core::Pool>());
  });
  pushUserdata(L, kPoolMeta, name);
  return 1;
}

int poolGetName(lua_State* L, Host&) {
  lua_pushstring(L, checkPool(L, 1).c_str());
  return 1;
}

std::string serverList(const core::Pool& p) {
  std::string out;
  for (const core::Backend* b : p.servers) {
    if (!out.empty()) out += ", ";
    std::string addr = b->addressString();
    out += b->name() == addr ? addr : b->name() + " " + addr;
  }
  return out;
}

/// showPools(): dnsdist's table, pools by name.
int showPools(lua_State*, Host& h) {
  auto cfg = h.target().current();
  std::vector<std::string> names;
  for (const auto& entry : cfg->pools) names.push_back(entry.first);
  std::sort(names.begin(), names.end());
  constexpr auto kRow = "{:<20.20} {:<20} {:<20} {}\n";
  std::string out = fmt::format(kRow, "Name", "Cache", "ServerPolicy", "Servers");
  for (const auto& name : names) {
    const core::Pool& p = *cfg->findPool(name);
    const auto& policy = p.policy ? p.policy : cfg->policy;
    out += fmt::format(kRow, name, poolCacheDescription(p.cache), policy->name(), serverList(p));
  }
  h.out(out);
  return 0;
}

/// setPoolServerPolicy(policy, pool)
int setPoolServerPolicy(lua_State* L, Host& h) {
  auto* p = testUserdata<PolicyRef>(L, 1, kPolicyMeta);
  if (!p) throw ConfigError("setPoolServerPolicy: expects a policy such as leastOutstanding");
  std::string pool = checkString(L, 2, "setPoolServerPolicy", "a pool name");
  auto policy = *p;
  h.target().update([&](core::RuntimeConfig& c) { core::setPoolPolicy(c, pool, policy); });
  return 0;
}

/// setWHashedPertubation(n): dnsdist's spelling.
int setWHashedPertubation(lua_State* L, Host& h) {
  double n = checkNumber(L, 1, "setWHashedPertubation", "a number");
  if (n < 0 || n > 4294967295.0 || n != double(uint64_t(n)))
    throw ConfigError("setWHashedPertubation: expects an integer from 0 to 4294967295");
  changeSettings(L, h, [&](core::PolicySettings& s) { s.hashPerturbation = uint32_t(n); });
  return 0;
}

int setConsistentHashingBalancingFactor(lua_State* L, Host& h) {
  double f = checkNumber(L, 1, "setConsistentHashingBalancingFactor", "a number");
  if (f != 0 && !(f >= 1.0))
    throw ConfigError(
        "setConsistentHashingBalancingFactor: expects 0 (off) or a factor of 1.0 or more");
  changeSettings(L, h, [&](core::PolicySettings& s) { s.consistentHashBalancing = f; });
  return 0;
}

/// setWeightedBalancingFactor(f): dnsdist's bounded load for wrandom and whashed.
int setWeightedBalancingFactor(lua_State* L, Host& h) {
  double f = checkNumber(L, 1, "setWeightedBalancingFactor", "a number");
  if (f != 0 && !(f >= 1.0))
    throw ConfigError("setWeightedBalancingFactor: expects 0 (off) or a factor of 1.0 or more");
  changeSettings(L, h, [&](core::PolicySettings& s) { s.weightedBalancing = f; });
  return 0;
}

/// rmPoolServerPolicy(pool): the pool follows the global policy again.
int rmPoolServerPolicy(lua_State* L, Host& h) {
  std::string pool = checkString(L, 1, "rmPoolServerPolicy", "a pool name");
  h.target().update([&](core::RuntimeConfig& c) {
    if (c.findPool(pool)) core::setPoolPolicy(c, pool, nullptr);
  });
  return 0;
}

/// getPoolServers(pool): the pool's servers, in order, as server objects.
int getPoolServers(lua_State* L, Host& h) {
  std::string name = checkString(L, 1, "getPoolServers", "a pool name");
  auto cfg = h.target().current();
  const core::Pool* pool = cfg->findPool(name);
  lua_newtable(L);
  if (!pool) return 1;
  for (size_t i = 0; i < pool->owners.size(); ++i) {
    pushUserdata(L, kServerMeta, pool->owners[i]);
    lua_rawseti(L, -2, int(i + 1));
  }
  return 1;
}

int setRoundRobinFailOnNoServer(lua_State* L, Host& h) {
  bool fail = checkBool(L, 1, "setRoundRobinFailOnNoServer");
  changeSettings(L, h, [&](core::PolicySettings& s) { s.roundRobinFailOnNoServer = fail; });
  return 0;
}

}  // namespace

void registerPoolBindings(lua_State* L) {
  static const Binding globals[] = {
      {"getPool", wrap<getPool>},
      {"showPools", wrap<showPools>},
      {"setPoolServerPolicy", wrap<setPoolServerPolicy>},
      {"setWHashedPertubation", wrap<setWHashedPertubation>},
      {"setConsistentHashingBalancingFactor", wrap<setConsistentHashingBalancingFactor>},
      {"setRoundRobinFailOnNoServer", wrap<setRoundRobinFailOnNoServer>},
      {"setWeightedBalancingFactor", wrap<setWeightedBalancingFactor>},
      {"rmPoolServerPolicy", wrap<rmPoolServerPolicy>},
      {"getPoolServers", wrap<getPoolServers>},
  };
  registerAll(L, std::begin(globals), std::end(globals));

  registerUserdataType<std::string>(L, kPoolMeta, {{"getName", wrap<poolGetName>}},
                                    wrap<poolGetName>);

  setPolicyGlobals(L, core::PolicySettings{});
}

}  // namespace ballast::lua
