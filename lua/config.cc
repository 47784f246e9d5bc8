// SPDX-License-Identifier: GPL-2.0-only
#include "lua/config.hh"

#include <lua.hpp>

#include "lua/bindings.hh"
#include "lua/lua_rules.hh"

namespace ballast::lua {

namespace {

/// print() writes where the host says (stdout while configuring, the console later).
int luaPrint(lua_State* L) {
  std::string line;
  int n = lua_gettop(L);
  lua_getglobal(L, "tostring");
  for (int i = 1; i <= n; ++i) {
    lua_pushvalue(L, -1);
    lua_pushvalue(L, i);
    lua_call(L, 1, 1);
    const char* s = lua_tostring(L, -1);
    if (i > 1) line += "\t";
    line += s ? s : "";
    lua_pop(L, 1);
  }
  line += "\n";
  host(L).out(line);
  return 0;
}

}  // namespace

LuaConfig::LuaConfig(Host& host) : host_(host), L_(luaL_newstate()) {
  if (!L_) throw ConfigError("cannot create a Lua state");
  luaL_openlibs(L_);
  setHost(L_, &host_);
  setSharedLock(L_, &mutex_);  // taken by LuaRule/LuaAction on the query path
  lua_register(L_, "print", luaPrint);
  registerServerBindings(L_);
  registerFrontendBindings(L_);
  registerAclBindings(L_);
  registerSettingBindings(L_);
  registerPoolBindings(L_);  // after registerServerBindings: uses its policy metatable
  registerCacheBindings(L_);  // after registerPoolBindings: adds to the pool's methods
  registerConsoleBindings(L_);
  registerResolverBindings(L_);
  registerWebBindings(L_);
  host_.withLua = [this](const std::function<void(lua_State*)>& fn) {
    std::lock_guard lock(mutex_);
    fn(L_);
  };
  registerRuleBindings(L_);
  registerRingBindings(L_);
  registerDynBlockBindings(L_);
  registerLuaPolicyBindings(L_);
  registerTcpBindings(L_);
  registerDohBindings(L_);
}

LuaConfig::~LuaConfig() { lua_close(L_); }

void LuaConfig::runLoaded(int loadStatus) {
  if (loadStatus == 0) loadStatus = lua_pcall(L_, 0, 0, 0);
  if (loadStatus != 0) {
    const char* msg = lua_tostring(L_, -1);
    std::string text = explainLuaError(host_, msg ? msg : "unknown error");
    lua_pop(L_, 1);
    throw ConfigError(text);
  }
}

void LuaConfig::loadFile(const std::string& path) {
  std::lock_guard lock(mutex_);
  runLoaded(loadConfigFile(L_, host_, path));
}

void LuaConfig::run(const std::string& code, const std::string& chunkName) {
  std::lock_guard lock(mutex_);
  runLoaded(luaL_loadbuffer(L_, code.data(), code.size(), ("=" + chunkName).c_str()));
}

std::string LuaConfig::callMaintenance() {
  std::lock_guard lock(mutex_);
  lua_getglobal(L_, "maintenance");
  if (!lua_isfunction(L_, -1)) {
    lua_pop(L_, 1);
    return {};
  }
  if (lua_pcall(L_, 0, 0, 0) != 0) {
    std::string msg = explainLuaError(host_, lua_tostring(L_, -1) ? lua_tostring(L_, -1) : "error");
    lua_pop(L_, 1);
    return msg;
  }
  return {};
}

}  // namespace ballast::lua
