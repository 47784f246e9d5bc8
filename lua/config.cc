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

LuaConfig::LuaConfig(Host& host) : host_(host), L_(nullptr) {
  host_.withLua = [this](const std::function<void(lua_State*)>& fn) {
    std::lock_guard lock(mutex_);
    fn(L_);
  };
  L_ = newState(host_);
}

lua_State* LuaConfig::newState(Host& h) {
  lua_State* L = luaL_newstate();
  if (!L) throw ConfigError("cannot create a Lua state");
  try {
    luaL_openlibs(L);
    setHost(L, &h);
    setSharedLock(L, &mutex_);  // taken by LuaRule/LuaAction on the query path
    lua_register(L, "print", luaPrint);
    registerServerBindings(L);
    registerFrontendBindings(L);
    registerAclBindings(L);
    registerSettingBindings(L);
    registerPoolBindings(L);   // after registerServerBindings: uses its policy metatable
    registerCacheBindings(L);  // after registerPoolBindings: adds to the pool's methods
    registerEcsBindings(L);    // likewise
    registerConsoleBindings(L);
    registerResolverBindings(L);
    registerWebBindings(L);
    registerRuleBindings(L);
    registerNetmaskBindings(L);  // after registerRuleBindings: adds to its metatables
    registerDNSNameSetBindings(L);
    registerRemoteLoggingBindings(L);
    registerRingBindings(L);
    registerDynBlockBindings(L);
    registerLuaPolicyBindings(L);
    registerTcpBindings(L);
    registerDohBindings(L);
  } catch (...) {
    lua_close(L);
    throw;
  }
  return L;
}

LuaConfig::~LuaConfig() {
  lua_close(L_);
  for (lua_State* old : retired_) lua_close(old);
}

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
    runRequestedReload();
    return msg;
  }
  runRequestedReload();  // logged there; nobody to show it to
  return {};
}

}  // namespace ballast::lua
