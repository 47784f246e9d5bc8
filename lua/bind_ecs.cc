// SPDX-License-Identifier: GPL-2.0-only
/// EDNS Client Subnet settings (setECSSourcePrefixV4/V6, setECSOverride) and the pool's
/// setECS/getECS. The server option (newServer{useClientSubnet=true}) is read in
/// bind_servers, the actions in bind_rules, the DNSQuestion fields in dnsquestion.
#include "lua/binding.hh"
#include "lua/bindings.hh"
#include "lua/rule_types.hh"
#include "lua/userdata.hh"

namespace ballast::lua {

namespace {

const char kPoolMeta[] = "ballast.Pool";  // created by registerPoolBindings

int setECSSourcePrefixV4(lua_State* L, Host& h) {
  auto bits = uint8_t(checkInteger(L, 1, "setECSSourcePrefixV4", "the prefix length", 0, 32));
  h.target().update([&](core::RuntimeConfig& c) { c.settings.ecsSourcePrefixV4 = bits; });
  return 0;
}

int setECSSourcePrefixV6(lua_State* L, Host& h) {
  auto bits = uint8_t(checkInteger(L, 1, "setECSSourcePrefixV6", "the prefix length", 0, 128));
  h.target().update([&](core::RuntimeConfig& c) { c.settings.ecsSourcePrefixV6 = bits; });
  return 0;
}

int setECSOverride(lua_State* L, Host& h) {
  bool on = checkBool(L, 1, "setECSOverride");
  h.target().update([&](core::RuntimeConfig& c) { c.settings.ecsOverride = on; });
  return 0;
}

int poolSetECS(lua_State* L, Host& h) {
  const std::string& name = checkUserdata<std::string>(L, 1, kPoolMeta);
  bool on = checkBool(L, 2, "setECS");
  h.target().update([&](core::RuntimeConfig& c) {
    auto& slot = c.pools[name];
    auto copy = slot ? std::make_shared<core::Pool>(*slot) : std::make_shared<core::Pool>();
    copy->ecs = on;
    slot = std::move(copy);
  });
  return 0;
}

int poolGetECS(lua_State* L, Host& h) {
  const std::string& name = checkUserdata<std::string>(L, 1, kPoolMeta);
  auto cfg = h.target().current();
  const core::Pool* pool = cfg->findPool(name);
  lua_pushboolean(L, pool && pool->ecs);
  return 1;
}

}  // namespace

void registerEcsBindings(lua_State* L) {
  static const Binding globals[] = {
      {"setECSSourcePrefixV4", wrap<setECSSourcePrefixV4>},
      {"setECSSourcePrefixV6", wrap<setECSSourcePrefixV6>},
      {"setECSOverride", wrap<setECSOverride>},
  };
  registerAll(L, std::begin(globals), std::end(globals));
  luaL_getmetatable(L, kPoolMeta);
  lua_getfield(L, -1, "__index");
  lua_pushcfunction(L, wrap<poolSetECS>);
  lua_setfield(L, -2, "setECS");
  lua_pushcfunction(L, wrap<poolGetECS>);
  lua_setfield(L, -2, "getECS");
  lua_pop(L, 2);
}

}  // namespace ballast::lua
